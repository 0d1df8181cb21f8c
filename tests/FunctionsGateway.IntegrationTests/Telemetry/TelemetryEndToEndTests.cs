using System.Diagnostics;
using FunctionsGateway.Client;
using FunctionsGateway.Core.Telemetry;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;
using FunctionsGateway.Storage;

namespace FunctionsGateway.IntegrationTests.Telemetry;

/// <summary>
/// The gateway's spans and metrics as an OpenTelemetry SDK exports them, end to end: real SignalR clients through the
/// local host's SignalR service to the upstream route, a pairing approved with the admin API, a spawn run by the queue
/// pump. docs/telemetry.md is the contract these tests hold the code to.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryEndToEndTests(TelemetryStorage azurite) : IClassFixture<TelemetryStorage>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_pairing_a_call_a_refusal_and_a_spawn_are_counted_by_outcome_code_and_method()
    {
        await using var rig = await TelemetryRig.StartAsync(azurite.Azurite);
        var telemetry = rig.Telemetry;
        var pendingBefore = telemetry.Sum(TelemetryNames.PendingPairingRequests);
        var options = rig.Options([OperatorScopes.Write]);

        // A new device: pairing required, one more pending request, the refusal counted under its codes.
        var pending = await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(options));
        Assert.Equal(pendingBefore + 1, telemetry.Sum(TelemetryNames.PendingPairingRequests));
        Assert.Equal(1, telemetry.Sum(TelemetryNames.Handshakes, (TelemetryNames.HandshakeOutcome, HandshakeOutcomes.PairingRequired), (TelemetryNames.Origin, TelemetryTags.Network)));
        Assert.Equal(1, telemetry.Sum(TelemetryNames.Denials,
            (TelemetryNames.ErrorCode, ErrorCodes.NotPaired), (TelemetryNames.DetailCode, DetailCodes.PairingRequired), (TelemetryNames.Method, GatewayMethods.Connect)));

        // Approved with the admin key: one approval, one pending request fewer.
        using (var admin = rig.Admin())
        {
            await admin.ApproveAsync(pending.RequestId);
        }

        Assert.Equal(pendingBefore, telemetry.Sum(TelemetryNames.PendingPairingRequests));
        Assert.Equal(1, telemetry.Sum(TelemetryNames.Approvals, (TelemetryNames.Approver, Approvers.AdminApi)));

        // Admitted, one call answered, one refused for a scope the device does not hold.
        await using var client = await GatewayClient.ConnectAsync(options);
        Assert.Equal(1, telemetry.Sum(TelemetryNames.Handshakes, (TelemetryNames.HandshakeOutcome, HandshakeOutcomes.Admitted), (TelemetryNames.Origin, TelemetryTags.Network)));
        await client.InvokeAsync(GatewayMethods.Status);
        var refused = await Assert.ThrowsAsync<GatewayException>(() => client.InvokeAsync(GatewayMethods.SessionsPatch, new { sessionKey = SessionKeys.Main(rig.AgentId) }));
        Assert.Equal(DetailCodes.MissingScope, refused.DetailCode);

        Assert.Equal(1, telemetry.Count(TelemetryNames.UpstreamDuration, (TelemetryNames.UpstreamCategory, "messages"), (TelemetryNames.UpstreamEvent, "req"),
            (TelemetryNames.Method, GatewayMethods.Status), (TelemetryNames.HttpStatus, 200)));
        Assert.True(telemetry.Count(TelemetryNames.UpstreamDuration, (TelemetryNames.UpstreamCategory, "connections"), (TelemetryNames.UpstreamEvent, "connected")) >= 2);
        Assert.Equal(1, telemetry.Sum(TelemetryNames.Denials, (TelemetryNames.ErrorCode, ErrorCodes.InvalidRequest),
            (TelemetryNames.DetailCode, DetailCodes.MissingScope), (TelemetryNames.Method, GatewayMethods.SessionsPatch), (TelemetryNames.Origin, TelemetryTags.Network)));

        // Refused before the dispatcher (over the payload limit): counted too, its method unread and so _OTHER.
        var tooLarge = await Assert.ThrowsAsync<GatewayException>(() => client.InvokeAsync(GatewayMethods.Status, new { pad = new string('x', 70_000) }));
        Assert.Equal(DetailCodes.PayloadTooLarge, tooLarge.DetailCode);
        Assert.Equal(1, telemetry.Sum(TelemetryNames.Denials, (TelemetryNames.DetailCode, DetailCodes.PayloadTooLarge), (TelemetryNames.Method, TelemetryNames.Other)));

        // A spawn: the queue pump runs it, its internal identity is admitted silently, the spawn is timed as spawned.
        await client.InvokeAsync(GatewayMethods.SessionsSpawn, new { sessionKey = SessionKeys.Main(rig.AgentId), task = "count me" });
        await Eventually.HoldsAsync(() => telemetry.Count(TelemetryNames.SpawnDuration, (TelemetryNames.SpawnOutcome, SpawnOutcomes.Spawned)) == 1, Patience,
            "no spawn was timed as spawned");
        Assert.True(telemetry.Sum(TelemetryNames.Handshakes, (TelemetryNames.HandshakeOutcome, HandshakeOutcomes.Admitted), (TelemetryNames.Origin, TelemetryTags.Internal)) >= 1);
        Assert.Equal(0, telemetry.Sum(TelemetryNames.Approvals, (TelemetryNames.Approver, Approvers.System)));

        // Every series is named by the gateway: an instrument's tags take only its own keys.
        var keys = new Dictionary<string, string[]>
        {
            [TelemetryNames.Handshakes] = [TelemetryNames.HandshakeOutcome, TelemetryNames.Origin],
            [TelemetryNames.Denials] = [TelemetryNames.ErrorCode, TelemetryNames.DetailCode, TelemetryNames.Method, TelemetryNames.Origin],
            [TelemetryNames.PendingPairingRequests] = [],
            [TelemetryNames.Approvals] = [TelemetryNames.Approver],
            [TelemetryNames.SpawnDuration] = [TelemetryNames.SpawnOutcome],
            [TelemetryNames.UpstreamDuration] = [TelemetryNames.UpstreamCategory, TelemetryNames.UpstreamEvent, TelemetryNames.Method, TelemetryNames.HttpStatus],
        };
        foreach (var (instrument, allowed) in keys)
        {
            var series = telemetry.Series(instrument);
            Assert.True(series.Count > 0, instrument + " recorded nothing");
            Assert.All(series, tags => Assert.Subset(allowed.ToHashSet(), tags.Keys.ToHashSet()));
        }
    }

    [Fact]
    public async Task One_call_is_one_trace_of_its_upstream_span_its_dispatch_and_the_table_reads_under_it()
    {
        await using var rig = await TelemetryRig.StartAsync(azurite.Azurite);
        await using var client = await rig.PairedAsync([OperatorScopes.Read]);

        await client.InvokeAsync(GatewayMethods.Status);

        var spans = rig.Telemetry.Spans;
        var upstream = Assert.Single(spans, s => s.OperationName == TelemetryNames.UpstreamSpan && Tag(s, TelemetryNames.Method) == GatewayMethods.Status);
        Assert.Equal(default, upstream.ParentSpanId);
        Assert.Equal(ActivityKind.Server, upstream.Kind);
        Assert.Equal("gateway.upstream status", upstream.DisplayName);
        Assert.Equal(("messages", "req", "200"),
            (Tag(upstream, TelemetryNames.UpstreamCategory), Tag(upstream, TelemetryNames.UpstreamEvent), Tag(upstream, TelemetryNames.HttpStatus)));

        var trace = spans.Where(s => s.TraceId == upstream.TraceId).ToList();
        var dispatch = Assert.Single(trace, s => s.OperationName == TelemetryNames.DispatchSpan);
        Assert.Equal(upstream.SpanId, dispatch.ParentSpanId);
        Assert.Equal("gateway.dispatch status", dispatch.DisplayName);
        Assert.Equal((GatewayMethods.Status, TelemetryTags.Network), (Tag(dispatch, TelemetryNames.Method), Tag(dispatch, TelemetryNames.Origin)));

        // The one point read an admitted call costs, and whatever status reads itself: each a client span under the dispatch.
        var storage = trace.Where(s => s.OperationName == TelemetryNames.StorageSpan).ToList();
        Assert.NotEmpty(storage);
        Assert.All(storage, s => Assert.Equal((dispatch.SpanId, ActivityKind.Client), (s.ParentSpanId, s.Kind)));
        var read = Assert.Single(storage, s => s.DisplayName == "GET " + StorageNames.ConnectionsTable);
        Assert.Equal(("table", StorageNames.ConnectionsTable, "GET", "200", "Microsoft.Storage"),
            (Tag(read, TelemetryNames.StorageService), Tag(read, TelemetryNames.StorageName), Tag(read, TelemetryNames.HttpMethod),
             Tag(read, TelemetryNames.HttpStatus), Tag(read, TelemetryNames.AzureNamespace)));
        Assert.Equal(2, trace.Count - storage.Count); // nothing else in the trace
    }

    [Fact]
    public async Task A_handshake_traces_its_batch_writes_under_the_table_they_write()
    {
        await using var rig = await TelemetryRig.StartAsync(azurite.Azurite);
        await using var client = await rig.PairedAsync([OperatorScopes.Read]);

        // The admitting connect: its device-partition commit is a batch, posted to /$batch, named by its table.
        var connects = rig.Telemetry.Spans.Where(s => s.OperationName == TelemetryNames.DispatchSpan && Tag(s, TelemetryNames.Method) == GatewayMethods.Connect).ToList();
        var admitted = Assert.Single(connects, c => Tag(c, TelemetryNames.ErrorCode) is null);
        var batches = rig.Telemetry.Spans.Where(s => s.ParentSpanId == admitted.SpanId && s.DisplayName == "POST " + StorageNames.DevicesTable).ToList();
        Assert.NotEmpty(batches);
        Assert.All(batches, b => Assert.Equal(admitted.TraceId, b.TraceId));
        Assert.DoesNotContain(rig.Telemetry.Spans, s => Tag(s, TelemetryNames.StorageName) is StorageTelemetryPolicy.BatchName or TelemetryNames.Other);
    }

    [Fact]
    public async Task No_span_attribute_or_metric_tag_carries_a_token_a_key_a_nonce_a_signature_or_an_id()
    {
        await using var rig = await TelemetryRig.StartAsync(azurite.Azurite);
        await using var client = await rig.PairedAsync([OperatorScopes.Write]);
        await client.InvokeAsync(GatewayMethods.Status);
        await Assert.ThrowsAsync<GatewayException>(() => client.InvokeAsync(GatewayMethods.SessionsPatch, new { sessionKey = SessionKeys.Main(rig.AgentId) }));
        await client.InvokeAsync(GatewayMethods.SessionsSpawn, new { sessionKey = SessionKeys.Main(rig.AgentId), task = "secret-free" });
        await Eventually.HoldsAsync(() => rig.Telemetry.Spans.Any(s => s.OperationName == TelemetryNames.SpawnSpan), Patience, "the spawn never ran");

        var secrets = rig.Secrets();
        var kinds = secrets.Select(s => s.Kind).ToHashSet();
        Assert.True(kinds.IsSupersetOf(["shared token", "access key", "admin key", "nonce", "signature", "deviceToken", "token"]), "collected: " + string.Join(", ", kinds));
        Assert.Contains(kinds, k => k.StartsWith("identity file ", StringComparison.Ordinal));

        // What a client sent (its ids, its session key) is no attribute either.
        secrets = [.. secrets, ("device id", client.DeviceId), ("connection id", client.ConnectionId), ("session key", SessionKeys.Main(rig.AgentId))];
        var exported = rig.Telemetry.EveryExportedText();
        Assert.True(exported.Count > 100, "too little was exported to prove anything: " + exported.Count);
        var leaks = exported.SelectMany(text => secrets.Where(s => text.Contains(s.Value, StringComparison.Ordinal)).Select(s => $"{s.Kind} in '{text}'")).ToList();
        Assert.True(leaks.Count == 0, "exported telemetry carries a secret or an id: " + string.Join(" | ", leaks));
    }

    private static string? Tag(Activity span, string key)
        => span.GetTagItem(key) is { } value ? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) : null;
}
