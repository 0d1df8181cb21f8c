using FunctionsGateway.Client;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Storage;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.Pairing;

/// <summary>
/// Competing operations landed deterministically inside one another's read-then-write window (just before the
/// batch that commits), on real Azurite. No connection may outlive a revocation or a removal.
/// </summary>
public sealed class RaceTests
{
    private static readonly string[] Read = [OperatorScopes.Read];

    private static bool DeviceBatch(string method, string path) => method == "POST" && path.Contains("$batch", StringComparison.Ordinal);

    [Fact]
    public async Task A_revoke_landing_inside_a_handshake_keeps_that_connection_out()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var token = (await gw.PairAsync(key, Read)).DeviceToken!;

        gw.StorageRequests.InterceptOnce(DeviceBatch, async () =>
            Assert.True((await gw.Tokens.RevokeAsync(key.DeviceId, GatewayRoles.Operator, PairingActor.AdminApi, default)).Ok));
        var attempt = await gw.ConnectAsync(key, Read, auth: new ConnectAuth { DeviceToken = token });

        Assert.False(attempt.Response.Ok);
        Assert.Equal(DetailCodes.AuthDeviceTokenMismatch, attempt.DetailCode);
        Assert.False((await gw.CallAsync(attempt.ConnectionId, GatewayMethods.Status)).Response.Ok);
        Assert.DoesNotContain(await gw.DeviceRowsAsync(key.DeviceId), r => r.RowKey == DeviceRows.Connection(attempt.ConnectionId));
    }

    [Fact]
    public async Task A_handshake_landing_inside_a_removal_is_closed_by_it()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var token = (await gw.PairAsync(key, Read)).DeviceToken!;
        Attempt? late = null;

        gw.StorageRequests.InterceptOnce(DeviceBatch, async () =>
            late = await gw.ConnectAsync(key, Read, auth: new ConnectAuth { DeviceToken = token }));
        var removed = await gw.Removal.RemoveAsync(key.DeviceId, PairingActor.AdminApi, default);

        Assert.True(removed.Ok, GatewayHarness.Describe(removed));
        Assert.NotNull(late);
        Assert.True(late.Response.Ok, "the late handshake was admitted before the removal committed");
        Assert.Contains(gw.Notifier.Closed, c => c.ConnectionId == late.ConnectionId && c.Reason == DeviceRemoval.RemovedCloseReason);
        Assert.Equal(DetailCodes.ConnectionClosed,
            GatewayHarness.Json((await gw.CallAsync(late.ConnectionId, GatewayMethods.Status)).Response.Error).GetProperty("details").GetProperty("code").GetString());
        Assert.Empty(await gw.DeviceRowsAsync(key.DeviceId));
    }

    [Fact]
    public async Task An_approval_landing_between_the_gate_and_the_new_request_admits_instead_of_asking_again()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var requestId = (await gw.ConnectAsync(key, Read)).RequestId;

        // The reconnect reads the device (still unpaired), then the approval commits before it files a request.
        gw.StorageRequests.InterceptOnce((method, path) => method == "GET" && path.Contains($"PartitionKey='{key.DeviceId}',RowKey='pending'", StringComparison.Ordinal),
            async () => Assert.True((await gw.Pairing.ApproveAsync(requestId, PairingActor.AdminApi, default)).Ok));
        var attempt = await gw.ConnectAsync(key, Read);

        Assert.True(attempt.Response.Ok, GatewayHarness.Describe(attempt.Response));
        Assert.Empty(await gw.Requests.ListAsync(key.DeviceId, default));
    }
}
