using System.Text.Json;
using FunctionsGateway.Client;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.Pairing;

/// <summary>
/// <c>device.pair.list</c>'s paired devices carry their last use, token states and live connections (protocol §4.5),
/// read from the rows the handshake already writes.
/// </summary>
public sealed class PairedDeviceDetailTests
{
    private static readonly string[] Pairing = [OperatorScopes.Pairing];

    [Fact]
    public async Task A_paired_device_is_listed_with_its_last_connect_its_active_token_and_its_connections()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var first = await gw.PairAsync(key, Pairing);
        var pairedAt = gw.Time.GetUtcNow();
        gw.Time.Advance(TimeSpan.FromMinutes(3));
        var second = await gw.ConnectAsync(key, Pairing, auth: new ConnectAuth { DeviceToken = first.DeviceToken });
        Assert.True(second.Response.Ok);

        var device = await OwnEntryAsync(gw, second);

        Assert.Equal(pairedAt.ToUnixTimeMilliseconds(), device.GetProperty("pairedAtMs").GetInt64());
        Assert.Equal(gw.Time.GetUtcNow().ToUnixTimeMilliseconds(), device.GetProperty("lastUsedAtMs").GetInt64());
        Assert.Equal(2, device.GetProperty("connections").GetInt32());
        var token = Assert.Single(device.GetProperty("tokens").EnumerateArray());
        Assert.Equal((GatewayRoles.Operator, DeviceTokenView.Active), (token.GetProperty("role").GetString(), token.GetProperty("state").GetString()));
        Assert.Equal(Pairing, token.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.False(token.TryGetProperty("revokedAtMs", out _));
        Assert.DoesNotContain(first.DeviceToken!, device.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_rotated_by_another_device_is_listed_pending_and_a_revoked_one_revoked()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        await gw.PairAsync(key, Pairing);

        gw.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.True((await gw.Tokens.RotateAsync(key.DeviceId, GatewayRoles.Operator, PairingActor.AdminApi, default)).Ok);
        var rotated = await TokenAsync(gw, key.DeviceId);
        Assert.Equal(DeviceTokenView.Pending, rotated.State);
        Assert.Equal(gw.Time.GetUtcNow().ToUnixTimeMilliseconds(), rotated.RotatedAtMs);

        gw.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.True((await gw.Tokens.RevokeAsync(key.DeviceId, GatewayRoles.Operator, PairingActor.AdminApi, default)).Ok);
        var revoked = await TokenAsync(gw, key.DeviceId);
        Assert.Equal((DeviceTokenView.Revoked, gw.Time.GetUtcNow().ToUnixTimeMilliseconds()), (revoked.State, revoked.RevokedAtMs));
    }

    /// <summary>The caller's own entry: a caller without operator.admin is shown only itself among paired devices.</summary>
    private static async Task<JsonElement> OwnEntryAsync(GatewayHarness gw, Attempt connection)
    {
        var answer = await gw.CallAsync(connection.ConnectionId, GatewayMethods.DevicePairList);
        Assert.True(answer.Response.Ok, GatewayHarness.Describe(answer.Response));
        return Assert.Single(GatewayHarness.Json(answer.Response.Payload).GetProperty("paired").EnumerateArray());
    }

    private static async Task<DeviceTokenView> TokenAsync(GatewayHarness gw, string deviceId)
    {
        var page = await gw.Get<DeviceDirectory>().ListPageAsync(deviceId, 1, null, default);
        return Assert.Single(Assert.Single(page.Items).Tokens!);
    }
}
