using FunctionsGateway.Core.Runs;
using FunctionsGateway.Core.Sessions;
using FunctionsGateway.Core.SubAgents;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.SubAgents;

/// <summary>A sub-agent's run from offer to announcement and cleanup, with the worker played through node.event.</summary>
public sealed class SubAgentLifecycleTests
{
    [Fact]
    public async Task A_completed_run_is_announced_to_the_requester_and_cleanup_delete_removes_child_and_identity()
    {
        await using var rig = await SpawnRig.StartAsync();
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var worker = await rig.WorkerAsync(requester);
        var spawn = await rig.SpawnAsync(op, new { sessionKey = requester, task = "hello", cleanup = SpawnCleanup.Delete });
        await rig.DeliverSpawnsAsync();

        var offer = Assert.Single(rig.OffersTo(worker));
        Assert.Equal((spawn.RunId, "hello", RunLanes.Subagent, false), (offer.RunId, offer.Task, offer.Lane, offer.SenderIsOwner));
        Assert.True((await rig.NodeEventAsync(worker, spawn.RunId, NodeEventKinds.Started)).Ok);
        Assert.True((await rig.NodeEventAsync(worker, spawn.RunId, NodeEventKinds.Completed, output: "echo: hello")).Ok);
        var identity = (await rig.Runs.GetAsync(spawn.RunId, default))!.SubagentDeviceId!;
        await rig.FinishAsync(spawn.RunId);

        Assert.Equal([RunStatuses.Queued, RunStatuses.Running, RunStatuses.Completed],
            rig.EventsTo<RunStatusEvent>(spawn.ChildSessionKey, GatewayEvents.RunStatus).Select(e => e.Status).ToArray());
        var announced = Assert.Single(rig.EventsTo<SubagentCompletedEvent>(requester, GatewayEvents.SubagentCompleted));
        Assert.Equal((spawn.ChildSessionKey, spawn.RunId, RunStatuses.Completed, "echo: hello"), (announced.ChildSessionKey, announced.RunId, announced.Status, announced.Output));
        var history = await rig.Sessions.ListChatAsync(requester, 10, default);
        Assert.Contains(history, m => m.Role == ChatRoles.Subagent && m.Text == "echo: hello" && m.RunId == spawn.RunId);
        Assert.Contains(rig.EventsTo<ChatEvent>(requester, GatewayEvents.Chat), c => c.Message.Role == ChatRoles.Subagent && c.Message.RunId == spawn.RunId);

        Assert.Null(await rig.Sessions.GetAsync(spawn.ChildSessionKey, default));
        Assert.Null(await rig.Gateway.Devices.GetDeviceAsync(identity, default));
        Assert.Empty(await rig.Gateway.DeviceRowsAsync(identity));
        var requesterRow = await rig.Sessions.GetAsync(requester, default);
        Assert.Equal((0, 1), (requesterRow!.ActiveChildren, requesterRow.LifetimeChildren));
        Assert.Equal(SessionService.DeletedStatus, (await rig.Sessions.GetChildAsync(requester, spawn.ChildSessionKey, default))!.Status);
    }

    [Fact]
    public async Task Cleanup_keep_leaves_child_and_identity_inspectable_but_closes_the_sub_agent_connections()
    {
        await using var rig = await SpawnRig.StartAsync();
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var worker = await rig.WorkerAsync(requester);
        var spawn = await rig.SpawnAsync(op, new { sessionKey = requester, task = "t", cleanup = SpawnCleanup.Keep });
        await rig.DeliverSpawnsAsync();
        await rig.NodeEventAsync(worker, spawn.RunId, NodeEventKinds.Started);
        await rig.NodeEventAsync(worker, spawn.RunId, NodeEventKinds.Failed, error: "model unavailable");
        await rig.FinishAsync(spawn.RunId);

        var announced = Assert.Single(rig.EventsTo<SubagentCompletedEvent>(requester, GatewayEvents.SubagentCompleted));
        Assert.Equal((RunStatuses.Failed, "model unavailable"), (announced.Status, announced.Error));
        var child = await rig.Sessions.GetAsync(spawn.ChildSessionKey, default);
        Assert.NotNull(child);
        Assert.NotNull(await rig.Gateway.Devices.GetDeviceAsync(child.OwnerDeviceId!, default));
        var admin = InternalIdentity.ConnectionId(child.OwnerDeviceId!, ScopeSet.Admin);
        var refused = await rig.Gateway.CallAsync(admin, GatewayMethods.SessionsGet, new { sessionKey = spawn.ChildSessionKey }, Core.Connections.CallOrigin.Internal);
        Assert.Equal(DetailCodes.ConnectionClosed, GatewayHarness.Json(refused.Response.Error).GetProperty("details").GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_run_no_worker_starts_times_out_at_its_deadline_and_is_announced()
    {
        await using var rig = await SpawnRig.StartAsync();
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var spawn = await rig.SpawnAsync(op, new { sessionKey = requester, task = "t", runTimeoutSeconds = 30 });
        await rig.DeliverSpawnsAsync();

        // Early: the timer looks again later and changes nothing.
        var deadline = Assert.Single(rig.Queues.TakeTimers(RunTimerKind.Deadline, spawn.RunId));
        await rig.RunService.HandleTimerAsync(deadline, default);
        Assert.Equal(RunStatuses.Queued, (await rig.Runs.GetAsync(spawn.RunId, default))!.Status);

        rig.Gateway.Time.Advance(TimeSpan.FromSeconds(31));
        await rig.RunService.HandleTimerAsync(Assert.Single(rig.Queues.TakeTimers(RunTimerKind.Deadline, spawn.RunId)), default);
        await rig.FinishAsync(spawn.RunId);

        var run = await rig.Runs.GetAsync(spawn.RunId, default);
        Assert.Equal(RunStatuses.TimedOut, run!.Status);
        Assert.Equal("timed out: no worker started the run within 30 s", run.Error);
        var announced = Assert.Single(rig.EventsTo<SubagentCompletedEvent>(requester, GatewayEvents.SubagentCompleted));
        Assert.Equal(RunStatuses.TimedOut, announced.Status);
    }

    [Fact]
    public async Task A_worker_that_gives_up_at_the_deadline_ends_the_run_timed_out_not_failed()
    {
        await using var rig = await SpawnRig.StartAsync();
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var worker = await rig.WorkerAsync(requester);
        var spawn = await rig.SpawnAsync(op, new { sessionKey = requester, task = "t", runTimeoutSeconds = 30 });
        await rig.DeliverSpawnsAsync();
        await rig.NodeEventAsync(worker, spawn.RunId, NodeEventKinds.Started);

        rig.Gateway.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.True((await rig.NodeEventAsync(worker, spawn.RunId, NodeEventKinds.Failed, error: "timed out after 30000 ms")).Ok);

        var run = await rig.Runs.GetAsync(spawn.RunId, default);
        Assert.Equal(RunStatuses.TimedOut, run!.Status);
        Assert.StartsWith("timed out: the run did not finish within 30 s", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(rig.Gateway.Notifier.Events, e => e.Name == GatewayEvents.NodeRunCancel);
    }

    [Fact]
    public async Task A_worker_that_disconnects_mid_run_leaves_the_run_failed_with_a_reason()
    {
        await using var rig = await SpawnRig.StartAsync();
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var worker = await rig.WorkerAsync(requester);
        var spawn = await rig.SpawnAsync(op, new { sessionKey = requester, task = "t" });
        await rig.DeliverSpawnsAsync();
        await rig.NodeEventAsync(worker, spawn.RunId, NodeEventKinds.Started);

        await rig.Gateway.Get<Core.Admission.ConnectionLifecycle>().DisconnectedAsync(worker.ConnectionId, default);
        await rig.FinishAsync(spawn.RunId);

        var run = await rig.Runs.GetAsync(spawn.RunId, default);
        Assert.Equal((RunStatuses.Failed, "failed: the worker disconnected mid-run"), (run!.Status, run.Error));
        Assert.Equal(RunStatuses.Failed, Assert.Single(rig.EventsTo<SubagentCompletedEvent>(requester, GatewayEvents.SubagentCompleted)).Status);
        Assert.Null(await rig.Runs.GetWorkerAsync(worker.ConnectionId, default));
    }

    [Fact]
    public async Task Exactly_one_worker_starts_a_run_and_a_second_started_is_refused()
    {
        await using var rig = await SpawnRig.StartAsync();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var requester = SpawnRig.NewMainSession();
        var first = await rig.WorkerAsync(requester);
        var second = await rig.WorkerAsync(requester);
        var spawn = await rig.SpawnAsync(op, new { sessionKey = requester, task = "t" });
        await rig.DeliverSpawnsAsync();

        var offeredTo = rig.OffersTo(first).Count == 1 ? first : second;
        var other = offeredTo == first ? second : first;
        Assert.Empty(rig.OffersTo(other));

        var stolen = await rig.NodeEventAsync(other, spawn.RunId, NodeEventKinds.Started);
        Assert.Equal(DetailCodes.RunNotOffered, GatewayHarness.Json(stolen.Error).GetProperty("details").GetProperty("code").GetString());
        Assert.True((await rig.NodeEventAsync(offeredTo, spawn.RunId, NodeEventKinds.Started)).Ok);
        var again = await rig.NodeEventAsync(offeredTo, spawn.RunId, NodeEventKinds.Started);
        Assert.Equal(DetailCodes.RunNotOffered, GatewayHarness.Json(again.Error).GetProperty("details").GetProperty("code").GetString());
        var late = await rig.NodeEventAsync(other, spawn.RunId, NodeEventKinds.Completed, output: "x");
        Assert.False(late.Ok);
        Assert.Equal(RunStatuses.Running, (await rig.Runs.GetAsync(spawn.RunId, default))!.Status);
    }

    [Fact]
    public async Task An_offer_that_lapses_goes_to_the_next_worker_and_runs_spread_fairly()
    {
        await using var rig = await SpawnRig.StartAsync();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var requester = SpawnRig.NewMainSession();
        var workers = new[] { await rig.WorkerAsync(requester), await rig.WorkerAsync(requester), await rig.WorkerAsync(requester) };
        for (var i = 0; i < 6; i++)
        {
            await rig.SpawnAsync(op, new { sessionKey = requester, task = "t" + i });
        }

        await rig.DeliverSpawnsAsync();
        Assert.All(workers, w => Assert.Equal(2, rig.OffersTo(w).Count));

        // The first worker ignores its first offer: when it lapses, another worker gets it.
        var lapsed = rig.OffersTo(workers[0])[0];
        var offerTimer = Assert.Single(rig.Queues.TakeTimers(RunTimerKind.Offer, lapsed.RunId));
        await rig.RunService.HandleTimerAsync(offerTimer, default);
        var reoffered = workers.Skip(1).Where(w => rig.OffersTo(w).Any(o => o.RunId == lapsed.RunId)).ToList();
        Assert.Single(reoffered);
        var refused = await rig.NodeEventAsync(workers[0], lapsed.RunId, NodeEventKinds.Started);
        Assert.False(refused.Ok);
        Assert.True((await rig.NodeEventAsync(reoffered[0], lapsed.RunId, NodeEventKinds.Started)).Ok);

        // A stale timer for the earlier offer changes nothing.
        await rig.RunService.HandleTimerAsync(offerTimer, default);
        Assert.Equal(reoffered[0].ConnectionId, (await rig.Runs.GetAsync(lapsed.RunId, default))!.WorkerConnectionId);
    }

    [Fact]
    public async Task Chat_abort_ends_a_running_run_and_tells_its_worker_to_stop()
    {
        await using var rig = await SpawnRig.StartAsync();
        var session = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var worker = await rig.WorkerAsync(session);
        var sent = await rig.CallAsync(op, GatewayMethods.ChatSend, new { sessionKey = session, message = "do it" });
        Assert.True(sent.Ok, GatewayHarness.Describe(sent));
        var runId = SpawnRig.Json(sent.Payload).GetProperty("runId").GetString()!;
        await rig.NodeEventAsync(worker, runId, NodeEventKinds.Started);

        var aborted = await rig.CallAsync(op, GatewayMethods.ChatAbort, new { sessionKey = session, runId });

        Assert.True(aborted.Ok, GatewayHarness.Describe(aborted));
        Assert.Equal(RunStatuses.Aborted, (await rig.Runs.GetAsync(runId, default))!.Status);
        Assert.Contains(rig.Gateway.Notifier.Events, e => e.Name == GatewayEvents.NodeRunCancel && e.Audience.Key == worker.ConnectionId);
        var history = await rig.Sessions.ListChatAsync(session, 10, default);
        Assert.Equal([ChatRoles.User, ChatRoles.System], history.Select(m => m.Role).ToArray());
        Assert.False((await rig.NodeEventAsync(worker, runId, NodeEventKinds.Completed, output: "late")).Ok);
    }

    [Fact]
    public async Task Only_a_run_started_with_admin_has_sender_is_owner()
    {
        await using var rig = await SpawnRig.StartAsync();
        var session = SpawnRig.NewMainSession();
        var writer = await rig.OperatorAsync(OperatorScopes.Write);
        var admin = await rig.OperatorAsync(OperatorScopes.Admin);

        var byWriter = await rig.CallAsync(writer, GatewayMethods.Agent, new { sessionKey = session, task = "a" });
        var byAdmin = await rig.CallAsync(admin, GatewayMethods.Agent, new { sessionKey = session, task = "b" });

        Assert.False(SpawnRig.Json(byWriter.Payload).GetProperty("senderIsOwner").GetBoolean());
        Assert.True(SpawnRig.Json(byAdmin.Payload).GetProperty("senderIsOwner").GetBoolean());
    }
}
