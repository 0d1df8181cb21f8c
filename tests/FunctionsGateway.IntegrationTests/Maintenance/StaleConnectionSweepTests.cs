using FunctionsGateway.Core.Connections;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.Maintenance;

/// <summary>
/// The connection step: rows whose disconnect event never came are removed as that event would have removed them, and
/// nothing else is: not a live connection, not a fresh row, not an in-process connection, not another service's row.
/// </summary>
public sealed class StaleConnectionSweepTests
{
    [Fact]
    public async Task A_connection_the_service_no_longer_knows_is_removed_as_a_disconnect_removes_it_and_a_live_one_stays()
    {
        await using var rig = await SweepRig.StartAsync();
        var live = await rig.LiveAsync(GatewayRoles.Operator, OperatorScopes.Read);
        var lost = await rig.LiveAsync(GatewayRoles.Operator, OperatorScopes.Read);
        var lostWorker = await rig.WorkerRowAsync(live: false);
        rig.Lose(lost.ConnectionId);
        Assert.True(await rig.WorkerExistsAsync(lostWorker));

        rig.PassGracePeriod();
        var report = await rig.SweepAsync();

        Assert.Equal(0, report.Failed);
        Assert.False(await rig.RowExistsAsync(lost.ConnectionId));
        Assert.False(await rig.RowExistsAsync(lostWorker));
        Assert.False(await rig.WorkerExistsAsync(lostWorker), "the worker of a removed connection is removed with it");
        Assert.DoesNotContain(await rig.Gateway.DeviceRowsAsync(lost.Params.Device!.Id!), r => r.RowKey == "conn:" + lost.ConnectionId);
        Assert.True(await rig.RowExistsAsync(live.ConnectionId));
        Assert.Contains(await rig.Gateway.DeviceRowsAsync(live.Params.Device!.Id!), r => r.RowKey == "conn:" + live.ConnectionId);
        var call = await rig.Gateway.CallAsync(live.ConnectionId, GatewayMethods.Status);
        Assert.True(call.Response.Ok, "the live connection still calls");
    }

    [Fact]
    public async Task A_row_written_within_the_grace_period_is_neither_asked_about_nor_removed()
    {
        await using var rig = await SweepRig.StartAsync();

        // The service does not know these (the worst case): were they looked at, they would go.
        var fresh = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            fresh.Add(await rig.AdmittedRowAsync(live: false));
        }

        fresh.Add(await rig.ChallengedRowAsync(rig.Gateway.Time.GetUtcNow().AddSeconds(-1)));
        var closed = await rig.AdmittedRowAsync(live: false);
        await rig.Connections.MarkClosedAsync(closed, "revoked", CancellationToken.None);
        fresh.Add(closed);

        var report = await rig.SweepAsync();

        Assert.Empty(rig.Presence.Asked);
        Assert.Equal((0, 0), (report["connections"].Examined, report["connections"].Removed));
        foreach (var id in fresh)
        {
            Assert.True(await rig.RowExistsAsync(id), id);
        }
    }

    [Fact]
    public async Task Closed_rows_and_expired_challenges_go_without_asking_the_service_and_an_open_challenge_is_asked()
    {
        await using var rig = await SweepRig.StartAsync();
        var now = rig.Gateway.Time.GetUtcNow();
        var closed = await rig.AdmittedRowAsync(live: true);
        await rig.Connections.MarkClosedAsync(closed, "pairing required", CancellationToken.None);
        var expired = await rig.ChallengedRowAsync(now.AddMinutes(1));
        var openLive = await rig.ChallengedRowAsync(now.AddHours(1));
        rig.Presence.Live[openLive] = true;
        var openGone = await rig.ChallengedRowAsync(now.AddHours(1));

        rig.PassGracePeriod();
        var report = await rig.SweepAsync();

        Assert.False(await rig.RowExistsAsync(closed));
        Assert.False(await rig.RowExistsAsync(expired));
        Assert.True(await rig.RowExistsAsync(openLive));
        Assert.False(await rig.RowExistsAsync(openGone));
        Assert.Equal(new[] { openGone, openLive }.Order(StringComparer.Ordinal), rig.Presence.Asked.Order(StringComparer.Ordinal));
        Assert.Equal((4, 3), (report["connections"].Examined, report["connections"].Removed));
    }

    [Fact]
    public async Task An_in_process_sub_agent_connection_is_never_asked_about_nor_removed()
    {
        await using var rig = await SweepRig.StartAsync();
        var id = await rig.AdmittedRowAsync(live: false);
        var row = (await rig.Connections.GetAsync(id, CancellationToken.None))!;
        row.IsInternal = true;
        Assert.True(await rig.Connections.TryReplaceAsync(row, CancellationToken.None));

        rig.PassGracePeriod();
        var report = await rig.SweepAsync();

        Assert.True(await rig.RowExistsAsync(id));
        Assert.Empty(rig.Presence.Asked);
        Assert.Equal((1, 0), (report["connections"].Examined, report["connections"].Removed));
    }

    [Fact]
    public async Task Another_services_rows_are_never_looked_at_even_by_a_host_sharing_the_storage()
    {
        await using var mine = await SweepRig.StartAsync();
        await using var other = await SweepRig.StartAsync();
        var ofMine = await mine.AdmittedRowAsync(live: true);
        var mineLost = await mine.AdmittedRowAsync(live: false);

        // The other host's service knows none of my connections: were it to ask about them, they would all go.
        other.PassGracePeriod();
        var byOther = await other.SweepAsync();

        Assert.True(await mine.RowExistsAsync(ofMine));
        Assert.True(await mine.RowExistsAsync(mineLost));
        Assert.Empty(other.Presence.Asked);
        Assert.Equal(0, byOther["connections"].Examined);

        mine.PassGracePeriod();
        await mine.SweepAsync();
        Assert.True(await mine.RowExistsAsync(ofMine));
        Assert.False(await mine.RowExistsAsync(mineLost));
    }

    [Fact]
    public async Task The_budget_caps_each_run_and_the_next_run_goes_on_where_the_last_stopped()
    {
        await using var rig = await SweepRig.StartAsync(settings: new Dictionary<string, string?> { ["Gateway:Sweep:Budget"] = "3" });
        var prefix = "conn-" + Guid.NewGuid().ToString("N");

        // Five live connections first in key order, then two lost ones: were every run to start from the beginning,
        // the lost ones would never be reached.
        for (var i = 0; i < 5; i++)
        {
            await rig.AdmittedRowAsync(live: true, $"{prefix}-a{i}");
        }

        var lost = new[] { await rig.AdmittedRowAsync(live: false, $"{prefix}-z0"), await rig.AdmittedRowAsync(live: false, $"{prefix}-z1") };
        rig.PassGracePeriod();

        var first = await rig.SweepAsync();
        var second = await rig.SweepAsync();
        var third = await rig.SweepAsync();

        Assert.Equal([0, 1, 1], new[] { first, second, third }.Select(r => r["connections"].Removed));
        Assert.All(new[] { first, second, third }, r => Assert.True(r["connections"].Examined <= 3));
        foreach (var id in lost)
        {
            Assert.False(await rig.RowExistsAsync(id));
        }

        Assert.Equal(7, rig.Presence.Asked.Count); // 3, 3, then the last one
    }

    [Fact]
    public async Task A_disabled_sweep_looks_at_nothing()
    {
        await using var rig = await SweepRig.StartAsync(settings: new Dictionary<string, string?> { ["Gateway:Sweep:Enabled"] = "false" });
        var lost = await rig.AdmittedRowAsync(live: false);
        rig.PassGracePeriod();

        var report = await rig.SweepAsync();

        Assert.Empty(report.Steps);
        Assert.True(await rig.RowExistsAsync(lost));
        Assert.Empty(rig.Presence.Asked);
    }
}
