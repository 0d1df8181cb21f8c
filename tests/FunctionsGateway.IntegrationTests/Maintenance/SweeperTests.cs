using Azure.Data.Tables;
using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Maintenance;
using FunctionsGateway.Core.Runs;
using FunctionsGateway.Hosting;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.SignalR.Serverless;
using FunctionsGateway.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.IntegrationTests.Maintenance;

/// <summary>The sweep as a whole: idempotent when two hosts run it at once, and a failure of one part costs no row and no other step.</summary>
public sealed class SweeperTests
{
    [Fact]
    public async Task Two_hosts_sweeping_at_once_remove_each_stale_row_once_and_a_later_sweep_changes_nothing()
    {
        await using var a = await SweepRig.StartAsync();
        await using var b = await SweepRig.StartAsync(sameGatewayAs: a);
        var live = new List<string>();
        var stale = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            stale.Add(await a.AdmittedRowAsync(live: false));
            live.Add(await a.AdmittedRowAsync(live: true));
        }

        var closed = await a.AdmittedRowAsync(live: true);
        await a.Connections.MarkClosedAsync(closed, "revoked", CancellationToken.None);
        stale.Add(closed);
        stale.Add(await a.ChallengedRowAsync(a.Gateway.Time.GetUtcNow().AddMinutes(1)));
        var orphanWorkers = new[] { await OrphanWorkerAsync(a), await OrphanWorkerAsync(a) };
        a.PassGracePeriod();
        b.PassGracePeriod();

        var both = await Task.WhenAll(a.SweepAsync(), b.SweepAsync());

        Assert.All(both, r => Assert.Equal(0, r.Failed));
        Assert.Equal(stale.Count, both.Sum(r => r["connections"].Removed));
        Assert.Equal(orphanWorkers.Length, both.Sum(r => r["workers"].Removed));
        foreach (var id in stale)
        {
            Assert.False(await a.RowExistsAsync(id), id);
        }

        foreach (var id in live)
        {
            Assert.True(await a.RowExistsAsync(id), id);
        }

        foreach (var id in orphanWorkers)
        {
            Assert.False(await a.WorkerExistsAsync(id), id);
        }

        var again = await a.SweepAsync();
        Assert.Equal((0, 0, live.Count), (again.Failed, again.Removed, again["connections"].Examined));
    }

    [Fact]
    public async Task A_service_that_cannot_be_asked_never_costs_a_row_and_is_not_asked_again_and_again()
    {
        await using var rig = await SweepRig.StartAsync();
        var rows = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            rows.Add(await rig.AdmittedRowAsync(live: false));
        }

        var closed = await rig.AdmittedRowAsync(live: false);
        await rig.Connections.MarkClosedAsync(closed, "revoked", CancellationToken.None);
        rig.Presence.Unreachable = true;
        rig.PassGracePeriod();

        var report = await rig.SweepAsync();

        foreach (var id in rows)
        {
            Assert.True(await rig.RowExistsAsync(id), id);
        }

        Assert.False(await rig.RowExistsAsync(closed), "a closed row needs no answer from the service");
        Assert.Equal(3, rig.Presence.Asked.Count);
        Assert.Equal((0, 1), (report.Failed, report["connections"].Removed));
        Assert.Contains(rig.Gateway.Logs.Entries, e => e.EventId.Id == 1161 && e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task An_unreachable_signalr_service_keeps_the_row_through_the_real_rest_client()
    {
        // Nothing listens on this port: every HEAD fails at the transport, after the client's retries.
        var endpoint = $"http://127.0.0.1:{LocalHostFixture.FreePort()}";
        using var http = new HttpClient();
        var client = new SignalRRestClient(http, SignalRConnectionString.Parse($"Endpoint={endpoint};AccessKey={new string('k', 44)};Version=1.0;"),
            new SignalRRestClientOptions { RetryDelay = TimeSpan.Zero });
        await using var rig = await SweepRig.StartAsync(configure: services =>
        {
            services.AddSingleton<ISignalRServiceClient>(client);
            services.AddSingleton<IConnectionPresence, SignalRConnectionPresence>();
        });
        var id = await rig.AdmittedRowAsync(live: false);
        rig.PassGracePeriod();

        var report = await rig.SweepAsync();

        Assert.True(await rig.RowExistsAsync(id));
        Assert.Equal((0, 1, 0), (report.Failed, report["connections"].Examined, report["connections"].Removed));
        Assert.Contains(rig.Gateway.Logs.Entries, e => e.EventId.Id == 1161 && e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task A_failing_step_is_a_warning_and_the_steps_after_it_still_run()
    {
        await using var rig = await SweepRig.StartAsync(configure: services => services.AddSingleton<ISweepStep>(new FailingStep()));
        var lost = await rig.AdmittedRowAsync(live: false);
        rig.PassGracePeriod();

        var report = await rig.SweepAsync();

        Assert.Equal(["connections", "workers", "broken"], report.Steps.Select(s => s.Name));
        Assert.Equal(1, report.Failed);
        Assert.Contains("the disk is on fire", report["broken"].Failure, StringComparison.Ordinal);
        Assert.False(await rig.RowExistsAsync(lost));
        Assert.Contains(rig.Gateway.Logs.Entries, e => e.EventId.Id == 1165 && e.Level == LogLevel.Warning);
        Assert.Contains(rig.Gateway.Logs.Entries, e => e.EventId.Id == 1163 && e.Level == LogLevel.Information);
    }

    [Fact]
    public async Task A_stalled_storage_ends_each_step_at_its_timeout_with_a_warning_never_an_error()
    {
        await using var storage = await PrivateAzurite.StartAsync();
        var tables = new GatewayTables(new TableServiceClient(storage.ConnectionString));
        await using var rig = await SweepRig.StartAsync(
            settings: new Dictionary<string, string?> { ["Gateway:Sweep:StepTimeout"] = "00:00:02" },
            configure: services => services.AddSingleton(tables));
        await rig.AdmittedRowAsync(live: false);
        rig.PassGracePeriod();

        storage.Pause();
        SweepReport report;
        try
        {
            report = await rig.SweepAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            storage.Resume();
        }

        Assert.Equal(2, report.Failed);
        Assert.All(report.Steps, s => Assert.StartsWith("did not finish within", s.Failure, StringComparison.Ordinal));
        Assert.Equal(2, rig.Gateway.Logs.Entries.Count(e => e.EventId.Id == 1166 && e.Level == LogLevel.Warning));
        Assert.DoesNotContain(rig.Gateway.Logs.Entries, e => e.IsError);
    }

    /// <summary>A worker row whose connection row is gone: what an interrupted disconnect leaves.</summary>
    private static async Task<string> OrphanWorkerAsync(SweepRig rig)
    {
        var id = GatewayHarness.NewConnectionId();
        Assert.True(await rig.Runs.TrySaveWorkerAsync(new WorkerRecord { ConnectionId = id, DeviceId = "dev-" + Guid.NewGuid().ToString("N") }, CancellationToken.None));
        return id;
    }

    private sealed class FailingStep : ISweepStep
    {
        public string Name => "broken";

        public Task<SweepStepResult> RunAsync(DateTimeOffset now, int budget, CancellationToken cancellationToken)
            => throw new InvalidOperationException("the disk is on fire");
    }
}
