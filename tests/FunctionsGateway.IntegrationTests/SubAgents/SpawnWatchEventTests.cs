using FunctionsGateway.Core.Runs;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.SubAgents;

/// <summary>
/// What a subscriber of the requester session sees of a spawn (protocol §7): the child at accept time, each of its run's
/// states, and its end, without subscribing to a child key that does not exist yet.
/// </summary>
public sealed class SpawnWatchEventTests
{
    [Fact]
    public async Task The_requester_session_hears_the_child_accepted_then_its_run_go_queued_running_completed_then_the_end()
    {
        await using var rig = await SpawnRig.StartAsync();
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var worker = await rig.WorkerAsync(requester);

        var spawn = await rig.SpawnAsync(op, new { sessionKey = requester, task = "hello", label = "helper", cleanup = SpawnCleanup.Delete });

        // At accept time, before the spawn function has run: the child is already known by its key.
        var spawned = Assert.Single(rig.EventsTo<SubagentSpawnedEvent>(requester, GatewayEvents.SubagentSpawned));
        Assert.Equal((requester, spawn.ChildSessionKey, spawn.RunId, "accepted"), (spawned.RequesterSessionKey, spawned.ChildSessionKey, spawned.RunId, spawned.Status));
        Assert.Equal((requester.Split(':')[1], "helper", SpawnCleanup.Delete), (spawned.AgentId, spawned.Label, spawned.Cleanup));
        Assert.Empty(rig.EventsTo<RunStatusEvent>(requester, GatewayEvents.RunStatus));

        await rig.DeliverSpawnsAsync();
        await rig.NodeEventAsync(worker, spawn.RunId, NodeEventKinds.Started);
        await rig.NodeEventAsync(worker, spawn.RunId, NodeEventKinds.Progress, output: "half");
        await rig.NodeEventAsync(worker, spawn.RunId, NodeEventKinds.Completed, output: "echo: hello");
        await rig.FinishAsync(spawn.RunId);

        // The child's subscribers and the requester's get the same run.status, naming the child session and its requester.
        var forwarded = rig.EventsTo<RunStatusEvent>(requester, GatewayEvents.RunStatus);
        Assert.Equal(rig.EventsTo<RunStatusEvent>(spawn.ChildSessionKey, GatewayEvents.RunStatus), forwarded);
        Assert.Equal([RunStatuses.Queued, RunStatuses.Running, RunStatuses.Running, RunStatuses.Completed], forwarded.Select(e => e.Status));
        Assert.All(forwarded, e => Assert.Equal((spawn.RunId, spawn.ChildSessionKey, requester), (e.RunId, e.SessionKey, e.RequesterSessionKey)));
        Assert.Equal("half", forwarded[2].Output);

        var completed = Assert.Single(rig.EventsTo<SubagentCompletedEvent>(requester, GatewayEvents.SubagentCompleted));
        Assert.Equal((RunStatuses.Completed, SpawnCleanup.Delete), (completed.Status, completed.Cleanup));

        // Then the child session is gone, and its watchers hear so.
        var deleted = Assert.Single(rig.EventsTo<SubagentDeletedEvent>(requester, GatewayEvents.SubagentDeleted));
        Assert.Equal((requester, spawn.ChildSessionKey, spawn.RunId), (deleted.RequesterSessionKey, deleted.ChildSessionKey, deleted.RunId));
    }

    [Fact]
    public async Task A_child_kept_after_its_run_is_announced_completed_but_never_deleted()
    {
        await using var rig = await SpawnRig.StartAsync();
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var worker = await rig.WorkerAsync(requester);

        var spawn = await rig.SpawnAsync(op, new { sessionKey = requester, task = "hello", cleanup = SpawnCleanup.Keep });
        await rig.DeliverSpawnsAsync();
        await rig.NodeEventAsync(worker, spawn.RunId, NodeEventKinds.Started);
        await rig.NodeEventAsync(worker, spawn.RunId, NodeEventKinds.Completed, output: "echo: hello");
        await rig.FinishAsync(spawn.RunId);

        var completed = Assert.Single(rig.EventsTo<SubagentCompletedEvent>(requester, GatewayEvents.SubagentCompleted));
        Assert.Equal(SpawnCleanup.Keep, completed.Cleanup);
        Assert.Empty(rig.EventsTo<SubagentDeletedEvent>(requester, GatewayEvents.SubagentDeleted));
    }

    [Fact]
    public async Task A_retry_with_the_same_idempotency_key_announces_no_second_child()
    {
        await using var rig = await SpawnRig.StartAsync();
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);

        var first = await rig.SpawnAsync(op, new { sessionKey = requester, task = "t", idempotencyKey = "once" });
        var again = await rig.SpawnAsync(op, new { sessionKey = requester, task = "t", idempotencyKey = "once" });

        Assert.Equal(first.RunId, again.RunId);
        var spawned = Assert.Single(rig.EventsTo<SubagentSpawnedEvent>(requester, GatewayEvents.SubagentSpawned));
        Assert.Equal(SpawnCleanup.Keep, spawned.Cleanup);
    }

    [Fact]
    public async Task A_main_session_run_goes_to_its_own_subscribers_only_and_names_no_requester()
    {
        await using var rig = await SpawnRig.StartAsync();
        var session = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);

        var started = await rig.CallAsync(op, GatewayMethods.Agent, new { sessionKey = session, task = "t" });
        Assert.True(started.Ok, GatewayHarness.Describe(started));

        var status = Assert.Single(rig.Gateway.Notifier.Events, e => e.Name == GatewayEvents.RunStatus);
        Assert.Equal(session, status.Audience.Key);
        Assert.Null(((RunStatusEvent)status.Payload).RequesterSessionKey);
    }

    [Fact]
    public async Task Sessions_get_shows_a_child_whose_run_has_not_ended_with_how_far_its_run_got()
    {
        await using var rig = await SpawnRig.StartAsync();
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var worker = await rig.WorkerAsync(requester);
        var spawn = await rig.SpawnAsync(op, new { sessionKey = requester, task = "t" });

        Assert.Equal(("spawning", SpawnStatuses.Accepted), await ChildAsync(rig, op, requester, spawn.ChildSessionKey));
        await rig.DeliverSpawnsAsync();
        Assert.Equal(("spawning", RunStatuses.Queued), await ChildAsync(rig, op, requester, spawn.ChildSessionKey));
        await rig.NodeEventAsync(worker, spawn.RunId, NodeEventKinds.Started);
        Assert.Equal(("spawning", RunStatuses.Running), await ChildAsync(rig, op, requester, spawn.ChildSessionKey));
        await rig.NodeEventAsync(worker, spawn.RunId, NodeEventKinds.Completed, output: "done");
        await rig.FinishAsync(spawn.RunId);
        Assert.Equal((RunStatuses.Completed, null), await ChildAsync(rig, op, requester, spawn.ChildSessionKey));
    }

    [Fact]
    public async Task A_sub_agent_identity_is_announced_to_pairing_watchers_as_an_internal_device_paired_then_removed()
    {
        await using var rig = await SpawnRig.StartAsync();
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var worker = await rig.WorkerAsync(requester);
        var spawn = await rig.SpawnAsync(op, new { sessionKey = requester, task = "t", cleanup = SpawnCleanup.Delete });
        await rig.DeliverSpawnsAsync();
        var identity = (await rig.Runs.GetAsync(spawn.RunId, default))!.SubagentDeviceId!;
        await rig.NodeEventAsync(worker, spawn.RunId, NodeEventKinds.Started);
        await rig.NodeEventAsync(worker, spawn.RunId, NodeEventKinds.Completed, output: "done");
        await rig.FinishAsync(spawn.RunId);

        var changes = rig.Gateway.Notifier.Events.Where(e => e.Name == GatewayEvents.DeviceChanged).Select(e => (Core.Events.DeviceChangedEvent)e.Payload)
            .Where(c => c.DeviceId == identity).ToList();
        Assert.Equal([DeviceChanges.Paired, DeviceChanges.Removed], changes.Select(c => c.Change));
        Assert.All(changes, c => Assert.True(c.Internal));
        Assert.Equal([OperatorScopes.Admin], changes[0].Scopes);
        Assert.DoesNotContain(rig.Gateway.Notifier.Events, e => e.Name == GatewayEvents.DeviceChanged
            && ((Core.Events.DeviceChangedEvent)e.Payload).DeviceId != identity && ((Core.Events.DeviceChangedEvent)e.Payload).Internal is not null);
    }

    private static async Task<(string? Status, string? RunStatus)> ChildAsync(SpawnRig rig, Infrastructure.Attempt op, string requester, string child)
    {
        var answer = await rig.CallAsync(op, GatewayMethods.SessionsGet, new { sessionKey = requester });
        Assert.True(answer.Ok, GatewayHarness.Describe(answer));
        var row = Assert.Single(GatewayHarness.Json(answer.Payload).GetProperty("children").EnumerateArray(), c => c.GetProperty("childSessionKey").GetString() == child);
        return (row.GetProperty("status").GetString(), row.TryGetProperty("runStatus", out var r) ? r.GetString() : null);
    }
}
