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

    [Fact]
    public async Task Details_cost_one_partition_query_per_paired_device_and_a_list_without_them_none()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var connection = await gw.PairAsync(key, Pairing);

        gw.StorageRequests.Clear();
        var plain = await gw.CallAsync(connection.ConnectionId, GatewayMethods.DevicePairList);
        var withoutDetails = Described(gw);
        gw.StorageRequests.Clear();
        var detailed = await OwnEntryAsync(gw, connection);
        var withDetails = Described(gw);

        var entry = Assert.Single(GatewayHarness.Json(plain.Response.Payload).GetProperty("paired").EnumerateArray());
        Assert.False(entry.TryGetProperty("tokens", out _));
        Assert.True(detailed.TryGetProperty("tokens", out _));

        // The connection row, the pending requests' range, the caller's directory entry; then its partition, for details.
        Assert.True(withoutDetails.Count == 3, string.Join('\n', withoutDetails));
        Assert.All(withDetails, r => Assert.StartsWith("GET ", r, StringComparison.Ordinal));
        var added = Assert.Single(withDetails.Except(withoutDetails));
        Assert.Contains($"$filter=PartitionKey eq '{key.DeviceId}'", added, StringComparison.Ordinal);
        Assert.Equal(withoutDetails.Count + 1, withDetails.Count);
        Assert.Contains(withoutDetails, r => r.Contains($"GatewayDevices(PartitionKey='~directory',RowKey='{key.DeviceId}')", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_page_with_details_takes_at_most_a_hundred()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var connection = await gw.PairAsync(key, Pairing);

        var refused = await gw.CallAsync(connection.ConnectionId, GatewayMethods.DevicePairList, new { details = true, limit = 101 });
        var plain = await gw.CallAsync(connection.ConnectionId, GatewayMethods.DevicePairList, new { limit = 101 });

        Assert.Equal(DetailCodes.InvalidParams, GatewayHarness.Json(refused.Response.Error).GetProperty("details").GetProperty("code").GetString());
        Assert.True(plain.Response.Ok);
    }

    private static List<string> Described(GatewayHarness gw)
        => [.. gw.StorageRequests.Requests.Select(r => $"{r.Method} {Uri.UnescapeDataString(r.Path).Replace('+', ' ')}")];

    /// <summary>The caller's own entry: a caller without operator.admin is shown only itself among paired devices.</summary>
    private static async Task<JsonElement> OwnEntryAsync(GatewayHarness gw, Attempt connection)
    {
        var answer = await gw.CallAsync(connection.ConnectionId, GatewayMethods.DevicePairList, new { details = true });
        Assert.True(answer.Response.Ok, GatewayHarness.Describe(answer.Response));
        return Assert.Single(GatewayHarness.Json(answer.Response.Payload).GetProperty("paired").EnumerateArray());
    }

    private static async Task<DeviceTokenView> TokenAsync(GatewayHarness gw, string deviceId)
    {
        var page = await gw.Get<DeviceDirectory>().ListPageAsync(deviceId, 1, null, details: true, default);
        return Assert.Single(Assert.Single(page.Items).Tokens!);
    }
}
