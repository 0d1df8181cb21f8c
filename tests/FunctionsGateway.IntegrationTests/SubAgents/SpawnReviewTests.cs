using FunctionsGateway.Core.Runs;
using FunctionsGateway.Core.Sessions;
using FunctionsGateway.Core.SubAgents;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.SubAgents;

/// <summary>Ways a child slot could leak, or a child be hijacked, found in review; each pinned here.</summary>
public sealed class SpawnReviewTests
{
    [Fact]
    public async Task Only_the_child_sessions_own_sub_agent_runs_in_its_subagent_lane()
    {
        await using var rig = await SpawnRig.StartAsync();
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var spawn = await rig.SpawnAsync(op, new { sessionKey = requester, task = "t" });
        await rig.DeliverSpawnsAsync();

        var hijack = await rig.CallAsync(op, GatewayMethods.Agent, new { sessionKey = spawn.ChildSessionKey, task = "x", lane = RunLanes.Subagent });

        Assert.Equal(DetailCodes.InvalidParams, Code(hijack));
    }

    [Fact]
    public async Task Deleting_a_child_before_its_run_is_announced_frees_its_slot_once()
    {
        await using var rig = await SpawnRig.StartAsync();
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var admin = await rig.OperatorAsync(OperatorScopes.Admin);
        var spawn = await rig.SpawnAsync(op, new { sessionKey = requester, task = "t", runTimeoutSeconds = 5 });
        await rig.DeliverSpawnsAsync();

        Assert.True((await rig.CallAsync(admin, GatewayMethods.SessionsDelete, new { sessionKey = spawn.ChildSessionKey })).Ok);
        Assert.Equal(0, (await rig.Sessions.GetAsync(requester, default))!.ActiveChildren);

        rig.Gateway.Time.Advance(TimeSpan.FromSeconds(6));
        await rig.RunService.HandleTimerAsync(Assert.Single(rig.Queues.TakeTimers(RunTimerKind.Deadline, spawn.RunId)), default);
        await rig.FinishAsync(spawn.RunId);

        Assert.Equal(0, (await rig.Sessions.GetAsync(requester, default))!.ActiveChildren);
        Assert.Equal(SessionService.DeletedStatus, (await rig.Sessions.GetChildAsync(requester, spawn.ChildSessionKey, default))!.Status);
    }

    [Fact]
    public async Task A_run_id_taken_elsewhere_first_fails_the_spawn_instead_of_passing_for_it()
    {
        await using var rig = await SpawnRig.StartAsync();
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var spawn = await rig.SpawnAsync(op, new { sessionKey = requester, task = "t" });
        var squatted = await rig.CallAsync(op, GatewayMethods.Agent, new { sessionKey = SpawnRig.NewMainSession(), task = "x", runId = spawn.RunId });
        Assert.True(squatted.Ok, GatewayHarness.Describe(squatted));
        var message = Assert.Single(rig.Queues.TakeSpawns());

        var failed = await Assert.ThrowsAsync<SpawnStepFailedException>(() => rig.Spawner.SpawnAsync(message, lastAttempt: true, default));

        Assert.Equal(DetailCodes.RunConflict, Code(failed.Response));
        Assert.Equal(RunStatuses.Failed, Assert.Single(rig.EventsTo<SubagentCompletedEvent>(requester, GatewayEvents.SubagentCompleted)).Status);
        Assert.Equal(0, (await rig.Sessions.GetAsync(requester, default))!.ActiveChildren);
    }

    [Fact]
    public async Task A_spawn_that_cannot_be_queued_gives_its_slot_back()
    {
        await using var rig = await SpawnRig.StartAsync();
        rig.Queues.FailNextSpawn = true;
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);

        var refused = await rig.CallAsync(op, GatewayMethods.SessionsSpawn, new { sessionKey = requester, task = "t" });

        Assert.Equal(ErrorCodes.Unavailable, refused.Error!.Code);
        var session = await rig.Sessions.GetAsync(requester, default);
        Assert.Equal((0, 1), (session!.ActiveChildren, session.LifetimeChildren));
        Assert.Equal(RunStatuses.Failed, Assert.Single(await rig.Sessions.ListChildrenAsync(requester, default)).Status);
        rig.Gateway.Logs.Expect(401);
    }

    private static string? Code(GatewayResponse response) => GatewayHarness.Json(response.Error).GetProperty("details").GetProperty("code").GetString();
}
