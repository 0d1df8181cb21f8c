using System.Globalization;
using Azure.Data.Tables;
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
    public async Task A_handshake_of_a_paired_device_costs_one_partition_read_one_connection_write_and_one_batch()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var paired = await gw.PairAsync(key, [OperatorScopes.Read]);

        gw.StorageRequests.Clear();
        var again = await gw.ConnectAsync(key, [OperatorScopes.Read], auth: new ConnectAuth { DeviceToken = paired.DeviceToken });
        Assert.True(again.Response.Ok);

        // connect.challenge stores nothing (its nonce is MAC-bound to the connection); connect costs three requests,
        // in this order:
        string[] expected =
        [
            // 1. The device row and the role's token row, in one query on their exact keys in the device partition.
            $"GET GatewayDevices() PartitionKey eq '{key.DeviceId}' and RowKey ge 'device' and RowKey le 'token:operator' and (RowKey eq 'device' or RowKey eq 'token:operator')",
            // 2. The admitted connection row, added if absent: it spends the nonce (a second add of it fails).
            "POST GatewayConnections",
            // 3. One transaction in the device partition: last seen, the connection index, the token version check.
            "POST $batch",
        ];
        Assert.Equal(expected, Described(gw));
    }

    [Fact]
    public async Task A_handshake_costs_the_same_requests_with_one_or_fifty_other_connections_of_the_device_and_more_paired_devices()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        using var other = DeviceKey.Generate();
        var paired = await gw.PairAsync(key, [OperatorScopes.Read]);
        var auth = new ConnectAuth { DeviceToken = paired.DeviceToken };

        gw.StorageRequests.Clear();
        Assert.True((await gw.ConnectAsync(key, [OperatorScopes.Read], auth: auth)).Response.Ok);
        var withOne = Described(gw);

        // Fifty more index rows in the device's partition ("conn:…", as live connections leave them) and another device.
        await gw.Tables.Devices.SubmitTransactionAsync(Enumerable.Range(0, 50).Select(i => new TableTransactionAction(
            TableTransactionActionType.UpsertReplace,
            new TableEntity(key.DeviceId, "conn:extra-" + i.ToString("D2", CultureInfo.InvariantCulture)) { ["Role"] = GatewayRoles.Operator, ["AdmittedAt"] = DateTimeOffset.UtcNow })));
        await gw.PairAsync(other, [OperatorScopes.Read]);
        gw.StorageRequests.Clear();
        Assert.True((await gw.ConnectAsync(key, [OperatorScopes.Read], auth: auth)).Response.Ok);
        var withFiftyOne = Described(gw);

        Assert.Equal(3, withOne.Count);
        Assert.Equal(withOne, withFiftyOne);

        // And the partition read returns exactly the two rows admission needs, not the connection index rows.
        var filter = withOne[0][(withOne[0].IndexOf(' ', 4) + 1)..];
        var rows = await gw.Tables.Devices.QueryAsync<TableEntity>(filter).ToListAsync();
        Assert.Equal(["device", "token:operator"], rows.Select(r => r.RowKey).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_failed_connect_costs_one_connection_row_write_and_a_nonce_of_another_connection_one_read()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();

        // A bad signature: the nonce is spent and the attempt counted in the row's one add, and nothing else is read.
        gw.StorageRequests.Clear();
        var bad = await gw.ConnectAsync(key, [OperatorScopes.Read], tamper: p => p with { Scopes = [OperatorScopes.Admin] });
        Assert.Equal(DetailCodes.SignatureInvalid, bad.DetailCode);
        Assert.Equal(["POST GatewayConnections"], Described(gw));

        // A nonce that is not this connection's: nothing is spent; the row is read only to answer a closed or admitted
        // connection as such.
        var foreign = await gw.ChallengeAsync(GatewayHarness.NewConnectionId());
        var connectionId = GatewayHarness.NewConnectionId();
        var p = ConnectRequest.Build(key, GatewayHarness.Client(), GatewayRoles.Operator, [OperatorScopes.Read], foreign,
            new ConnectAuth { Token = GatewayHarness.SharedToken }, gw.Time.GetUtcNow());
        gw.StorageRequests.Clear();
        var mismatch = await gw.CallAsync(connectionId, GatewayMethods.Connect, p);
        Assert.Equal(DetailCodes.NonceMismatch, new Attempt(connectionId, mismatch, p).DetailCode);
        Assert.Equal([$"GET GatewayConnections(PartitionKey='{connectionId}',RowKey='')"], Described(gw));
    }

    [Fact]
    public async Task A_first_connect_of_an_unknown_device_that_files_a_pairing_request_costs_a_fixed_list()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();

        gw.StorageRequests.Clear();
        var attempt = await gw.ConnectAsync(key, [OperatorScopes.Read]);

        Assert.Equal(DetailCodes.PairingRequired, attempt.DetailCode);
        var device = $"GatewayDevices(PartitionKey='{key.DeviceId}'";
        string[] expected =
        [
            $"GET GatewayDevices() PartitionKey eq '{key.DeviceId}' and RowKey ge 'device' and RowKey le 'token:operator' and (RowKey eq 'device' or RowKey eq 'token:operator')",
            "POST GatewayConnections",                                  // the nonce spent before the gate files anything
            $"GET {device},RowKey='device')",                           // } the pairing request's own reads, in either order
            $"GET {device},RowKey='pending')",                          // }
            "GET GatewayPairingRequests(PartitionKey='~limits',RowKey='gateway')", // the gateway-wide cap, taken
            "PUT GatewayPairingRequests(PartitionKey='~limits',RowKey='gateway')", // under its ETag
            "POST GatewayPairingRequests",                              // the request's index row
            "POST GatewayDevices",                                      // the pending row
            "POST GatewayAudit",                                        // its audit entry
            $"PATCH GatewayConnections(PartitionKey='{attempt.ConnectionId}',RowKey='')", // the connection closed for admission
        ];
        var requests = Described(gw);
        Assert.True(requests.Count == expected.Length, string.Join('\n', requests));
        requests.Sort(2, 2, StringComparer.Ordinal);
        Assert.Equal(expected, requests);
    }

    /// <summary>Each request as "METHOD resource", with a query's decoded $filter after it.</summary>
    private static List<string> Described(GatewayHarness gw)
        => [.. gw.StorageRequests.Requests.Select(r => $"{r.Method} {Resource(r.Path)}{Filter(r.Path)}")];

    private static string Filter(string path)
    {
        var query = path.Contains('?', StringComparison.Ordinal) ? path[(path.IndexOf('?', StringComparison.Ordinal) + 1)..] : string.Empty;
        var filter = query.Split('&').FirstOrDefault(q => q.StartsWith("$filter=", StringComparison.Ordinal) || q.StartsWith("%24filter=", StringComparison.Ordinal));
        return filter is null ? string.Empty : " " + Uri.UnescapeDataString(filter[(filter.IndexOf('=', StringComparison.Ordinal) + 1)..]).Replace('+', ' ');
    }

    /// <summary>"/devstoreaccount1/GatewayConnections(PartitionKey='c',RowKey='')?$format=..." is "GatewayConnections(PartitionKey='c',RowKey='')".</summary>
    private static string Resource(string path)
    {
        var withoutQuery = path.Split('?')[0];
        return withoutQuery[(withoutQuery.LastIndexOf('/') + 1)..];
    }
}
