using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.Maintenance;

/// <summary>The worker step: a worker whose connection is gone is removed as on a disconnect, and is offered no run again.</summary>
public sealed class StaleWorkerSweepTests
{
    [Fact]
    public async Task A_worker_whose_connection_row_is_gone_is_removed_its_run_fails_and_it_is_offered_no_run_afterwards()
    {
        await using var rig = await SweepRig.StartAsync();
        var agentId = "sw" + Guid.NewGuid().ToString("N")[..12];
        var op = await rig.AdmittedRowAsync(live: true, scopes: ScopeSet.Write);

        // The dead worker takes the first run and starts it; the live one joins and takes the second.
        var dead = await WorkerAsync(rig, agentId);
        var r1 = await StartRunAsync(rig, op, agentId);
        await ClaimAsync(rig, dead, r1);
        rig.Gateway.Time.Advance(TimeSpan.FromSeconds(1));
        var live = await WorkerAsync(rig, agentId);
        var r0 = await StartRunAsync(rig, op, agentId);
        Assert.Equal([r0], OffersTo(rig, live));
        await ClaimAsync(rig, live, r0);

        // Its connection row went (a removal interrupted half-way); the worker row stayed. Both workers now hold one run,
        // and the dead one was offered least recently, so it would be offered the next run.
        await rig.Connections.DeleteAsync(dead, CancellationToken.None);
        rig.Lose(dead);

        var report = await rig.SweepAsync();

        Assert.Equal((0, 1), (report.Failed, report["workers"].Removed));
        Assert.False(await rig.WorkerExistsAsync(dead));
        Assert.True(await rig.WorkerExistsAsync(live));
        var run1 = GatewayHarness.Json((await rig.Gateway.CallAsync(op, GatewayMethods.RunsGet, new { runId = r1 })).Response.Payload);
        Assert.Equal((RunStatuses.Failed, "failed: the worker disconnected mid-run"), (run1.GetProperty("status").GetString(), run1.GetProperty("error").GetString()));

        var r2 = await StartRunAsync(rig, op, agentId);
        Assert.Equal([r1], OffersTo(rig, dead));
        Assert.Equal([r0, r2], OffersTo(rig, live));
    }

    [Fact]
    public async Task A_worker_whose_connection_is_closed_is_removed_and_a_worker_with_a_live_connection_stays()
    {
        await using var rig = await SweepRig.StartAsync();
        var closed = await rig.WorkerRowAsync(live: true);
        var live = await rig.WorkerRowAsync(live: true);
        await rig.Connections.MarkClosedAsync(closed, "revoked", CancellationToken.None);

        var report = await rig.SweepAsync();

        Assert.Equal((2, 1), (report["workers"].Examined, report["workers"].Removed));
        Assert.False(await rig.WorkerExistsAsync(closed));
        Assert.True(await rig.WorkerExistsAsync(live));
        Assert.Empty(rig.Presence.Asked);
    }

    private static async Task<string> WorkerAsync(SweepRig rig, string agentId)
    {
        var worker = await rig.WorkerRowAsync(live: true);
        var ready = await rig.Gateway.CallAsync(worker, GatewayMethods.NodeEvent, new NodeEventParams { Kind = NodeEventKinds.Ready, AgentIds = [agentId] });
        Assert.True(ready.Response.Ok, GatewayHarness.Describe(ready.Response));
        return worker;
    }

    private static async Task ClaimAsync(SweepRig rig, string worker, string runId)
    {
        var started = await rig.Gateway.CallAsync(worker, GatewayMethods.NodeEvent, new NodeEventParams { RunId = runId, Kind = NodeEventKinds.Started });
        Assert.True(started.Response.Ok, GatewayHarness.Describe(started.Response));
    }

    private static async Task<string> StartRunAsync(SweepRig rig, string op, string agentId)
    {
        var started = await rig.Gateway.CallAsync(op, GatewayMethods.Agent, new { sessionKey = SessionKeys.Main(agentId), task = "work" });
        Assert.True(started.Response.Ok, GatewayHarness.Describe(started.Response));
        return GatewayHarness.Json(started.Response.Payload).GetProperty("runId").GetString()!;
    }

    private static List<string> OffersTo(SweepRig rig, string worker)
        => [.. rig.Gateway.Notifier.Events.Where(e => e.Name == GatewayEvents.NodeRun && e.Audience.Key == worker).Select(e => ((NodeRunEvent)e.Payload).RunId)];
}
