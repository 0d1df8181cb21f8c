using System.Net;
using FunctionsGateway.Client;
using FunctionsGateway.Core.Admission;
using FunctionsGateway.Core.Audit;
using FunctionsGateway.Core.Events;
using FunctionsGateway.Core.Maintenance;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;
using FunctionsGateway.Storage;

namespace FunctionsGateway.IntegrationTests.Pairing;

/// <summary>
/// Pairing-request floods (docs/protocol.md §4.3): fresh keys on one connection and on many, from one address and from
/// several. The caps hold exactly, a refusal stores and announces nothing, and the sweep leaves no expired row behind.
/// </summary>
public sealed class FloodTests(PrivatePairingStorage storage) : IClassFixture<PrivatePairingStorage>
{
    private static readonly string[] Read = [OperatorScopes.Read];

    private static Dictionary<string, string?> Limits(int maxPending, int perAddress, int eventsPerMinute = 10_000) => new()
    {
        ["Gateway:Pairing:MaxPending"] = maxPending.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Gateway:Pairing:MaxPendingPerAddress"] = perAddress.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Gateway:Pairing:MaxRequestedEventsPerMinute"] = eventsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string From(string address) => ClientAddress.NewUserId(IPAddress.Parse(address));

    [Fact]
    public async Task Thirty_fresh_keys_on_thirty_connections_at_once_store_exactly_the_gateway_cap_and_announce_only_the_budget()
    {
        await using var gw = await storage.StartGatewayAsync(Limits(maxPending: 10, perAddress: 10, eventsPerMinute: 4));
        var keys = Enumerable.Range(0, 30).Select(_ => DeviceKey.Generate()).ToList();

        var results = await Task.WhenAll(keys.Select(k => Task.Run(() => PrivatePairingStorage.ConnectAsync(gw, k, Read))));

        Assert.Equal(10, results.Count(r => r.Response.Error?.Code == ErrorCodes.NotPaired));
        var refused = results.Where(r => r.Response.Error?.Code != ErrorCodes.NotPaired).ToList();
        Assert.Equal(20, refused.Count);
        Assert.All(refused, r =>
        {
            Assert.Equal(ErrorCodes.Unavailable, r.Response.Error!.Code);
            Assert.Equal(DetailCodes.PendingLimit, r.DetailCode());
            Assert.Equal(PendingLimits.MaxPendingLimit, r.Details().GetProperty("limit").GetString());
            Assert.Equal(10, r.Details().GetProperty("max").GetInt32());
            Assert.True(r.Details().GetProperty("retryAfterMs").GetInt64() > 0);
            Assert.Equal(AdmissionService.PendingLimitCloseReason, r.CloseAfterReason);
        });

        // Exactly the cap is stored, in the device rows and in the index; a refused device has no row and no audit entry.
        Assert.Equal(10, (await storage.DevicePendingRowsAsync()).Count);
        Assert.Equal(10, (await storage.IndexRowsAsync("pending")).Count);
        var refusedKey = keys[results.ToList().FindIndex(r => r.DetailCode() == DetailCodes.PendingLimit)];
        Assert.Empty(await gw.DeviceRowsAsync(refusedKey.DeviceId));
        Assert.DoesNotContain(await gw.AuditForAsync(refusedKey.DeviceId), a => a.Action == AuditActions.Requested);
        Assert.Equal(4, gw.Notifier.Events.Count(e => e.Name == GatewayEvents.DevicePairRequested));
        keys.ForEach(k => k.Dispose());
    }

    [Fact]
    public async Task Fresh_keys_on_one_connection_file_one_request_and_the_rest_find_the_connection_closed()
    {
        await using var gw = await storage.StartGatewayAsync();
        var connectionId = GatewayHarness.NewConnectionId();
        var answers = new List<Core.Methods.DispatchResult>();
        for (var i = 0; i < 8; i++)
        {
            using var key = DeviceKey.Generate();
            answers.Add(await PrivatePairingStorage.ConnectAsync(gw, key, Read, connectionId: connectionId));
        }

        Assert.Equal(ErrorCodes.NotPaired, answers[0].Response.Error!.Code);
        Assert.All(answers.Skip(1), a => Assert.Equal(DetailCodes.ConnectionClosed, a.DetailCode()));
        Assert.Single(await storage.DevicePendingRowsAsync());
        Assert.Single(await storage.IndexRowsAsync("pending"));
    }

    [Fact]
    public async Task Each_address_stops_at_its_own_cap_and_the_gateway_cap_holds_over_all_of_them()
    {
        await using var gw = await storage.StartGatewayAsync(Limits(maxPending: 10, perAddress: 3));
        var a = From("203.0.113.7");
        var b = From("2001:db8:7:8::1");
        var sameSlash64 = From("2001:db8:7:8:ffff::2");

        var fromA = await FloodAsync(gw, 5, a);
        var fromB = await FloodAsync(gw, 2, b);
        var fromB64 = await FloodAsync(gw, 3, sameSlash64);
        var unknown = await FloodAsync(gw, 6, null);

        Assert.Equal([3, 2], Tally(fromA));
        Assert.Equal([2, 0], Tally(fromB));
        Assert.Equal([1, 2], Tally(fromB64));
        Assert.Equal([4, 2], Tally(unknown));
        Assert.All(fromA.Skip(3).Concat(fromB64.Skip(1)), r => Assert.Equal(PendingLimits.MaxPendingPerAddressLimit, r.Details().GetProperty("limit").GetString()));
        Assert.All(unknown.Skip(4), r => Assert.Equal(PendingLimits.MaxPendingLimit, r.Details().GetProperty("limit").GetString()));
        Assert.Equal(10, (await storage.DevicePendingRowsAsync()).Count);

        var stored = await storage.IndexRowsAsync("pending");
        Assert.Equal(3, stored.Count(r => r.GetString("ClientAddress") == "v4-203.0.113.7"));
        Assert.Equal(3, stored.Count(r => r.GetString("ClientAddress") == "v6-20010db800070008"));
    }

    [Fact]
    public async Task At_a_full_cap_an_identical_retry_keeps_its_id_and_a_different_ask_still_supersedes()
    {
        await using var gw = await storage.StartGatewayAsync(Limits(maxPending: 2, perAddress: 2));
        using var a = DeviceKey.Generate();
        using var b = DeviceKey.Generate();
        using var c = DeviceKey.Generate();
        var first = (await gw.ConnectAsync(a, Read)).RequestId;
        Assert.Equal(ErrorCodes.NotPaired, (await gw.ConnectAsync(b, Read)).Response.Error!.Code);
        var eventsBefore = PairingEvents(gw);

        var retry = await gw.ConnectAsync(a, Read);
        var third = await gw.ConnectAsync(c, Read);
        var different = await gw.ConnectAsync(a, [OperatorScopes.Write]);

        Assert.Equal(first, retry.RequestId);
        Assert.Equal(DetailCodes.PendingLimit, third.DetailCode);
        Assert.Equal(ErrorCodes.NotPaired, different.Response.Error!.Code);
        Assert.NotEqual(first, different.RequestId);
        Assert.Equal(2, (await storage.DevicePendingRowsAsync()).Count);

        // Only the supersession was announced (its new request and the old one's resolution); the retry added nothing.
        Assert.Equal(2, PairingEvents(gw) - eventsBefore);
    }

    [Fact]
    public async Task A_decision_frees_its_slot_at_once_and_an_expired_request_stops_counting_by_itself()
    {
        await using var gw = await storage.StartGatewayAsync(Limits(maxPending: 2, perAddress: 2));
        using var a = DeviceKey.Generate();
        using var b = DeviceKey.Generate();
        using var c = DeviceKey.Generate();
        using var d = DeviceKey.Generate();
        var ra = (await gw.ConnectAsync(a, Read)).RequestId;
        await gw.ConnectAsync(b, Read);
        Assert.Equal(DetailCodes.PendingLimit, (await gw.ConnectAsync(c, Read)).DetailCode);

        Assert.True((await gw.Pairing.RejectAsync(ra, PairingActor.AdminApi, default)).Ok);
        Assert.Equal(ErrorCodes.NotPaired, (await gw.ConnectAsync(c, Read)).Response.Error!.Code);
        Assert.Equal(DetailCodes.PendingLimit, (await gw.ConnectAsync(d, Read)).DetailCode);

        gw.Time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(2));
        Assert.Equal(ErrorCodes.NotPaired, (await gw.ConnectAsync(d, Read)).Response.Error!.Code);
    }

    [Fact]
    public async Task The_sweep_purges_every_expired_request_and_leftover_index_row_and_a_second_sweep_finds_nothing()
    {
        await using var gw = await storage.StartGatewayAsync(Limits(maxPending: 50, perAddress: 50));
        var keys = Enumerable.Range(0, 12).Select(_ => DeviceKey.Generate()).ToList();
        var ids = new List<string>();
        foreach (var (key, i) in keys.Select((k, i) => (k, i)))
        {
            var result = await PrivatePairingStorage.ConnectAsync(gw, key, Read, From($"198.51.100.{i % 3 + 1}"));
            ids.Add(GatewayHarness.Json(result.Response.Error).GetProperty("details").GetProperty("requestId").GetString()!);
        }

        Assert.True((await gw.Pairing.ApproveAsync(ids[0], PairingActor.AdminApi, default)).Ok);
        Assert.True((await gw.Pairing.RejectAsync(ids[1], PairingActor.AdminApi, default)).Ok);

        // A leftover: an index row whose device never held the request (a crash between the two writes).
        var orphan = new PendingRequestRecord { DeviceId = new string('e', 64), RequestId = Guid.NewGuid().ToString("N"), CreatedAt = gw.Time.GetUtcNow(), ExpiresAt = gw.Time.GetUtcNow().AddMinutes(5) };
        await gw.Get<IPairingRequestIndex>().AddAsync(orphan, default);
        Assert.Equal(11, (await storage.IndexRowsAsync("pending")).Count);
        Assert.Equal(3, (await storage.RowsAsync(StorageNames.PairingRequestsTable, "PartitionKey eq '~limits' and RowKey ge 'addr:' and RowKey lt 'addr;'")).Count);

        gw.Time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(2));
        var step = Assert.Single(gw.Get<IEnumerable<ISweepStep>>(), s => s.Name == "pairing");
        var now = gw.Time.GetUtcNow();
        var sweeps = await Task.WhenAll(step.RunAsync(now, 1000, default), step.RunAsync(now, 1000, default));

        // 10 expired requests (device row + index row each), the leftover index row, 3 stale address ledgers: each
        // removed once between the two sweeps.
        Assert.Equal(10 * 2 + 1 + 3, sweeps.Sum(s => s.Removed));
        Assert.Empty(await storage.DevicePendingRowsAsync());
        Assert.Empty(await storage.IndexRowsAsync("pending"));
        Assert.Empty(await storage.RowsAsync(StorageNames.PairingRequestsTable, "PartitionKey eq '~limits' and RowKey ge 'addr:' and RowKey lt 'addr;'"));
        Assert.Single(await gw.AuditForAsync(keys[5].DeviceId), e => e.Action == AuditActions.Expired);
        Assert.Equal(10, gw.Notifier.Events.Count(e => e.Name == GatewayEvents.DevicePairResolved && e.Payload is PairResolvedEvent { Decision: "expired" }));

        var again = await step.RunAsync(now, 1000, default);
        Assert.Equal(0, again.Removed);

        // The two decisions are remembered for the retention, then swept too.
        Assert.Equal(2, (await storage.IndexRowsAsync("resolved")).Count);
        gw.Time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(2, (await step.RunAsync(gw.Time.GetUtcNow(), 1000, default)).Removed);
        Assert.Empty(await storage.IndexRowsAsync("resolved"));
        Assert.Equal(DetailCodes.RequestNotFound, (await gw.Pairing.ApproveAsync(ids[0], PairingActor.AdminApi, default)).DetailCode());
        keys.ForEach(k => k.Dispose());
    }

    [Fact]
    public async Task A_sweep_stays_within_its_budget_and_the_next_ones_finish_the_work()
    {
        await using var gw = await storage.StartGatewayAsync(Limits(maxPending: 50, perAddress: 50));
        for (var i = 0; i < 7; i++)
        {
            using var key = DeviceKey.Generate();
            await gw.ConnectAsync(key, Read);
        }

        gw.Time.Advance(TimeSpan.FromMinutes(6));
        var step = Assert.Single(gw.Get<IEnumerable<ISweepStep>>(), s => s.Name == "pairing");
        var runs = new List<SweepStepResult>();
        do
        {
            runs.Add(await step.RunAsync(gw.Time.GetUtcNow(), 5, default));
        }
        while (runs[^1].Removed > 0 && runs.Count < 10);

        Assert.All(runs, r => Assert.InRange(r.Removed, 0, 5));
        Assert.Equal(14, runs.Sum(r => r.Removed));
        Assert.Empty(await storage.DevicePendingRowsAsync());
        Assert.Empty(await storage.IndexRowsAsync("pending"));
    }

    private static async Task<List<Core.Methods.DispatchResult>> FloodAsync(GatewayHarness gw, int count, string? userId)
    {
        var results = new List<Core.Methods.DispatchResult>();
        for (var i = 0; i < count; i++)
        {
            using var key = DeviceKey.Generate();
            results.Add(await PrivatePairingStorage.ConnectAsync(gw, key, Read, userId));
        }

        return results;
    }

    /// <summary>[filed, refused by a cap] in that order; anything else fails the test.</summary>
    private static int[] Tally(List<Core.Methods.DispatchResult> results)
    {
        Assert.All(results, r => Assert.Contains(r.Response.Error?.Code, new[] { ErrorCodes.NotPaired, ErrorCodes.Unavailable }));
        return [results.Count(r => r.Response.Error!.Code == ErrorCodes.NotPaired), results.Count(r => r.DetailCode() == DetailCodes.PendingLimit)];
    }

    /// <summary>Pairing announcements only: every audit entry also goes out (to admins) as audit.appended.</summary>
    private static int PairingEvents(GatewayHarness gw)
        => gw.Notifier.Events.Count(e => e.Name is GatewayEvents.DevicePairRequested or GatewayEvents.DevicePairResolved);
}
