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

        // Every request is a point operation on one row, an insert, or one batch in one partition: no query, so the
        // cost is the same however many devices are paired. Eight requests, in the order they go out:
        var connection = $"GatewayConnections(PartitionKey='{again.ConnectionId}',RowKey='')";
        var device = $"GatewayDevices(PartitionKey='{key.DeviceId}',RowKey='device')";
        var token = $"GatewayDevices(PartitionKey='{key.DeviceId}',RowKey='token:operator')";
        string[] expected =
        [
            $"GET {connection}",       // connect.challenge: read the connection row (none yet, or refuse a closed/admitted one)
            "POST GatewayConnections", // connect.challenge: insert the row holding the nonce
            $"GET {connection}",       // connect: read the row and its nonce
            $"PUT {connection}",       // connect: spend the nonce (replace under the row's ETag)
            $"GET {device}",           // connect: device row   } read together (Task.WhenAll in the device store),
            $"GET {token}",            // connect: token row    } so this pair is compared in either order
            $"PUT {connection}",       // connect: admit the connection row (replace under its ETag)
            "POST $batch",             // connect: one transaction in the device partition (last seen, connection index, token version check)
        ];
        var requests = gw.StorageRequests.Requests.Select(r => $"{r.Method} {Resource(r.Path)}").ToList();
        Assert.True(requests.Count == 8, $"expected 8 storage requests, got {requests.Count}:\n{string.Join('\n', requests)}");
        requests.Sort(4, 2, StringComparer.Ordinal);
        Assert.Equal(expected, requests);
    }

    /// <summary>"/devstoreaccount1/GatewayConnections(PartitionKey='c',RowKey='')?$format=..." is "GatewayConnections(PartitionKey='c',RowKey='')".</summary>
    private static string Resource(string path)
    {
        var withoutQuery = path.Split('?')[0];
        return withoutQuery[(withoutQuery.LastIndexOf('/') + 1)..];
    }
}
