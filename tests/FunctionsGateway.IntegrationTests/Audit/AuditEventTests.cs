using System.Text.Json;
using FunctionsGateway.Client;
using FunctionsGateway.Core.Audit;
using FunctionsGateway.Core.Events;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.Audit;

/// <summary><c>audit.appended</c> and <c>audit.list</c>'s filters (protocol §4.6, §7), on real Table Storage.</summary>
public sealed class AuditEventTests
{
    private static readonly string[] Read = [OperatorScopes.Read];

    [Fact]
    public async Task Each_audit_entry_written_goes_to_admins_in_the_shape_audit_list_shows_it()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var adminKey = DeviceKey.Generate();
        using var key = DeviceKey.Generate();
        var admin = await gw.PairAsync(adminKey, [OperatorScopes.Admin]);
        await gw.PairAsync(key, Read);

        var announced = Appended(gw, key.DeviceId);
        Assert.All(announced, e => Assert.Equal(EventAudience.Admins, e.Audience));
        Assert.Equal([AuditActions.Requested, AuditActions.Approved], announced.Select(e => ((AuditAppendedEvent)e.Payload).Entry.Action));

        var listed = await gw.CallAsync(admin.ConnectionId, GatewayMethods.AuditList, new { deviceId = key.DeviceId });
        // Both entries carry the same (manual) time, so their order in the list is not defined: compare them as sets.
        var entries = GatewayHarness.Json(listed.Response.Payload).GetProperty("entries").EnumerateArray().Select(e => e.GetRawText()).Order(StringComparer.Ordinal);
        var events = announced.Select(e => GatewayHarness.Json(e.Payload).GetProperty("entry").GetRawText()).Order(StringComparer.Ordinal);
        Assert.Equal(entries, events);
        var approved = GatewayHarness.Json(announced[1].Payload).GetProperty("entry");
        Assert.Equal(gw.Time.GetUtcNow().ToUnixTimeMilliseconds(), approved.GetProperty("atMs").GetInt64());
    }

    [Fact]
    public async Task An_entry_written_once_under_a_key_is_announced_once_however_often_it_is_written()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var record = new AuditRecord(AuditActions.Approved, key.DeviceId, "admin-api", ScopeSet.None, ScopeSet.Read, PairingReasons.NotPaired, "r1", GatewayRoles.Operator);
        var at = gw.Time.GetUtcNow();

        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => gw.Audit.WriteOnceAsync(record, "decision-" + key.DeviceId[..8], at, default)));

        Assert.Single(Appended(gw, key.DeviceId));
        Assert.Single(await gw.AuditForAsync(key.DeviceId));
    }

    [Fact]
    public async Task Audit_list_filters_by_action_alone_or_with_a_device()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var adminKey = DeviceKey.Generate();
        using var key = DeviceKey.Generate();
        var admin = await gw.PairAsync(adminKey, [OperatorScopes.Admin]);
        await gw.PairAsync(key, Read);
        Assert.True((await gw.Tokens.RevokeAsync(key.DeviceId, GatewayRoles.Operator, PairingActor.AdminApi, default)).Ok);

        var revoked = await ListAsync(gw, admin, new { action = AuditActions.TokenRevoked });
        Assert.All(revoked, e => Assert.Equal(AuditActions.TokenRevoked, e.GetProperty("action").GetString()));
        Assert.Contains(revoked, e => e.GetProperty("deviceId").GetString() == key.DeviceId);

        var requested = await ListAsync(gw, admin, new { deviceId = key.DeviceId, action = AuditActions.Requested });
        var only = Assert.Single(requested);
        Assert.Equal((key.DeviceId, AuditActions.Requested), (only.GetProperty("deviceId").GetString(), only.GetProperty("action").GetString()));
        Assert.Empty(await ListAsync(gw, admin, new { deviceId = key.DeviceId, action = AuditActions.Removed }));
    }

    [Theory]
    [InlineData("pairing.unknown", null)]
    [InlineData("PAIRING.APPROVED", null)]
    [InlineData(null, "not-a-device")]
    public async Task An_unknown_action_or_a_malformed_device_id_is_invalid_params(string? action, string? deviceId)
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var adminKey = DeviceKey.Generate();
        var admin = await gw.PairAsync(adminKey, [OperatorScopes.Admin]);

        var answer = await gw.CallAsync(admin.ConnectionId, GatewayMethods.AuditList, new { action, deviceId });

        Assert.False(answer.Response.Ok);
        Assert.Equal(DetailCodes.InvalidParams, GatewayHarness.Json(answer.Response.Error).GetProperty("details").GetProperty("code").GetString());
    }

    private static List<PublishedEvent> Appended(GatewayHarness gw, string deviceId)
        => [.. gw.Notifier.Events.Where(e => e.Name == GatewayEvents.AuditAppended && ((AuditAppendedEvent)e.Payload).Entry.DeviceId == deviceId)];

    private static async Task<List<JsonElement>> ListAsync(GatewayHarness gw, Attempt admin, object parameters)
    {
        var answer = await gw.CallAsync(admin.ConnectionId, GatewayMethods.AuditList, parameters);
        Assert.True(answer.Response.Ok, GatewayHarness.Describe(answer.Response));
        return [.. GatewayHarness.Json(answer.Response.Payload).GetProperty("entries").EnumerateArray()];
    }
}
