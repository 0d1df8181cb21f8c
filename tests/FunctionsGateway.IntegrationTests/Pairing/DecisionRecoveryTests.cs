using System.Reflection;
using FunctionsGateway.Client;
using FunctionsGateway.Core.Audit;
using FunctionsGateway.Core.Events;
using FunctionsGateway.Core.Maintenance;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Core.Resilience;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;
using FunctionsGateway.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace FunctionsGateway.IntegrationTests.Pairing;

/// <summary>
/// A decision that committed while its caller heard only "storage unavailable" (its follow-ups never ran) is finished
/// later - by a retried decision or by the sweep - with exactly one audit row and one announcement, however many
/// recoveries race. Runs on an Azurite of its own: the sweep's query for unfinished decisions reads the whole table.
/// </summary>
public sealed class DecisionRecoveryTests(PrivatePairingStorage storage) : IClassFixture<PrivatePairingStorage>
{
    private static readonly string[] Read = [OperatorScopes.Read];

    [Fact]
    public async Task A_retried_approval_whose_first_answer_was_lost_finishes_its_follow_ups_once_and_answers_resolved()
    {
        var (gw, store) = await StartAsync();
        await using var _ = gw;
        using var key = DeviceKey.Generate();
        var requestId = (await gw.ConnectAsync(key, Read)).RequestId;

        store.LoseNextDecisionAnswer();
        await Assert.ThrowsAsync<StorageUnavailableException>(() => gw.Pairing.ApproveAsync(requestId, PairingActor.AdminApi, default));
        Assert.NotNull(await gw.Devices.GetDeviceAsync(key.DeviceId, default));
        Assert.DoesNotContain(await gw.AuditForAsync(key.DeviceId), a => a.Action == AuditActions.Approved);

        var retried = await gw.Pairing.ApproveAsync(requestId, PairingActor.AdminApi, default);
        var again = await gw.Pairing.ApproveAsync(requestId, PairingActor.AdminApi, default);

        AssertResolved(retried, requestId, "approved");
        AssertResolved(again, requestId, "approved");
        AssertFinishedOnce(gw, await gw.AuditForAsync(key.DeviceId), requestId, AuditActions.Approved, "approved");
        Assert.DoesNotContain(await gw.Requests.ListAsync(key.DeviceId, default), p => p.RequestId == requestId);
        Assert.Single(await gw.Get<DeviceDirectory>().ListAsync(key.DeviceId, default));
        Assert.Empty(await storage.RowsAsync(StorageNames.DevicesTable, $"RowKey eq '{DeviceRows.Decision(requestId)}'"));
    }

    [Theory]
    [InlineData("approved")]
    [InlineData("rejected")]
    public async Task The_sweep_finishes_a_decision_whose_answer_was_lost_once_it_is_a_minute_old(string decision)
    {
        var (gw, store) = await StartAsync();
        await using var _ = gw;
        using var key = DeviceKey.Generate();
        var requestId = (await gw.ConnectAsync(key, Read)).RequestId;
        store.LoseNextDecisionAnswer();
        await Assert.ThrowsAsync<StorageUnavailableException>(() => DecideAsync(gw, decision, requestId));
        var step = Assert.Single(gw.Get<IEnumerable<ISweepStep>>(), s => s.Name == "pairing");

        // A young decision is left to the call that made it.
        Assert.Equal(0, (await step.RunAsync(gw.Time.GetUtcNow(), 100, default)).Removed);
        Assert.Contains(await gw.Requests.ListAsync(key.DeviceId, default), p => p.RequestId == requestId);

        // Well before the request would expire, the sweep finishes it.
        gw.Time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, (await step.RunAsync(gw.Time.GetUtcNow(), 100, default)).Removed);

        var action = decision == "approved" ? AuditActions.Approved : AuditActions.Rejected;
        AssertFinishedOnce(gw, await gw.AuditForAsync(key.DeviceId), requestId, action, decision);
        Assert.Empty(await gw.Requests.ListAsync(key.DeviceId, default));
        Assert.Empty(await storage.IndexRowsAsync("pending"));
        AssertResolved(await gw.Pairing.ApproveAsync(requestId, PairingActor.AdminApi, default), requestId, decision);
        Assert.Equal(0, (await step.RunAsync(gw.Time.GetUtcNow(), 100, default)).Removed);
    }

    [Fact]
    public async Task Recoveries_racing_over_one_lost_decision_write_one_audit_row_and_publish_one_event()
    {
        var (gw, store) = await StartAsync();
        await using var _ = gw;
        using var key = DeviceKey.Generate();
        var requestId = (await gw.ConnectAsync(key, Read)).RequestId;
        store.LoseNextDecisionAnswer();
        await Assert.ThrowsAsync<StorageUnavailableException>(() => gw.Pairing.ApproveAsync(requestId, PairingActor.AdminApi, default));
        gw.Time.Advance(TimeSpan.FromMinutes(2));
        var step = Assert.Single(gw.Get<IEnumerable<ISweepStep>>(), s => s.Name == "pairing");

        var retries = Enumerable.Range(0, 6).Select(_ => Task.Run(() => gw.Pairing.ApproveAsync(requestId, PairingActor.AdminApi, default))).ToList();
        var sweeps = Enumerable.Range(0, 2).Select(_ => Task.Run(() => step.RunAsync(gw.Time.GetUtcNow(), 100, default))).ToList();
        await Task.WhenAll(sweeps);

        foreach (var retried in await Task.WhenAll(retries))
        {
            AssertResolved(retried, requestId, "approved");
        }

        AssertFinishedOnce(gw, await gw.AuditForAsync(key.DeviceId), requestId, AuditActions.Approved, "approved");
        Assert.Empty(await gw.Requests.ListAsync(key.DeviceId, default));
    }

    private async Task<(GatewayHarness Gateway, AnswerLosingDeviceStore Store)> StartAsync()
    {
        AnswerLosingDeviceStore? store = null;
        var gw = await storage.StartGatewayAsync(configure: services => services.AddSingleton(sp =>
        {
            store = AnswerLosingDeviceStore.Wrap(new TableDeviceStore(sp.GetRequiredService<GatewayTables>()));
            return (IDeviceStore)store;
        }));
        _ = gw.Devices;
        return (gw, store!);
    }

    private static Task<GatewayResponse> DecideAsync(GatewayHarness gw, string decision, string requestId) => decision == "approved"
        ? gw.Pairing.ApproveAsync(requestId, PairingActor.AdminApi, default)
        : gw.Pairing.RejectAsync(requestId, PairingActor.AdminApi, default);

    private static void AssertResolved(GatewayResponse response, string requestId, string decision)
    {
        Assert.False(response.Ok, GatewayHarness.Describe(response));
        var details = GatewayHarness.Json(response.Error).GetProperty("details");
        Assert.Equal(DetailCodes.RequestResolved, details.GetProperty("code").GetString());
        Assert.Equal(requestId, details.GetProperty("requestId").GetString());
        Assert.Equal(decision, details.GetProperty("decision").GetString());
    }

    private static void AssertFinishedOnce(GatewayHarness gw, IReadOnlyList<AuditEntry> audit, string requestId, string action, string decision)
    {
        Assert.Single(audit, a => a.Action == action && a.RequestId == requestId);
        Assert.Single(gw.Notifier.Events, e => e.Name == GatewayEvents.DevicePairResolved
            && e.Payload is PairResolvedEvent r && r.RequestId == requestId && r.Decision == decision);
    }
}

/// <summary>
/// The real device store, except that the next decision's commit (the one that deletes a pending request among other
/// writes, or alone) lands and then answers "storage unavailable", as when storage stalls just as the commit is sent.
/// </summary>
public class AnswerLosingDeviceStore : DispatchProxy
{
    private IDeviceStore inner = null!;
    private int armed;

    public static AnswerLosingDeviceStore Wrap(IDeviceStore inner)
    {
        var proxy = (AnswerLosingDeviceStore)(object)Create<IDeviceStore, AnswerLosingDeviceStore>();
        proxy.inner = inner;
        return proxy;
    }

    public void LoseNextDecisionAnswer() => Interlocked.Exchange(ref armed, 1);

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        var result = targetMethod!.Invoke(inner, args);
        if (targetMethod.Name == nameof(IDeviceStore.TryCommitAsync)
            && args![0] is IReadOnlyList<DeviceWrite> writes
            && writes.Any(w => w.Kind == DeviceWriteKind.Delete && w.Row is PendingRequestRecord)
            && Interlocked.Exchange(ref armed, 0) == 1)
        {
            return LoseAnswerAsync((Task<bool>)result!);
        }

        return result;
    }

    private static async Task<bool> LoseAnswerAsync(Task<bool> commit)
    {
        Assert.True(await commit);
        throw new StorageUnavailableException("the commit landed but its answer was lost");
    }
}
