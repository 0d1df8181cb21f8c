using FunctionsGateway.Client;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.Dispatch;

/// <summary>docs/protocol.md §9: what a call and a handshake cost in storage requests, counted on the wire to Azurite.</summary>
public sealed class StorageCostTests
{
    [Fact]
    public async Task An_admitted_read_call_costs_one_point_read_and_no_writes()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var connection = await gw.PairAsync(key, [OperatorScopes.Read]);

        gw.StorageRequests.Clear();
        var status = await gw.CallAsync(connection.ConnectionId, GatewayMethods.Status);

        Assert.True(status.Response.Ok);
        var request = Assert.Single(gw.StorageRequests.Requests);
        Assert.Equal("GET", request.Method);
        Assert.Contains($"GatewayConnections(PartitionKey='{connection.ConnectionId}',RowKey='')", request.Path, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_handshake_uses_only_point_operations_so_its_cost_does_not_grow_with_paired_devices()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var paired = await gw.PairAsync(key, [OperatorScopes.Read]);

        gw.StorageRequests.Clear();
        var again = await gw.ConnectAsync(key, [OperatorScopes.Read], auth: new ConnectAuth { DeviceToken = paired.DeviceToken });
        Assert.True(again.Response.Ok);

        var requests = gw.StorageRequests.Requests.ToList();
        Assert.All(requests, r => Assert.True(
            r.Path.Contains("(PartitionKey=", StringComparison.Ordinal) || r.Path.Contains("$batch", StringComparison.Ordinal)
            || (r.Method == "POST" && r.Path.Contains("/GatewayConnections?", StringComparison.Ordinal)),
            $"not a point operation: {r.Method} {r.Path}"));
        Assert.DoesNotContain(requests, r => r.Path.Contains("$filter", StringComparison.Ordinal));

        // challenge: read + insert; connect: read, consume nonce, 2 device reads, admit, one batch.
        Assert.InRange(requests.Count, 5, 8);
    }
}
