using System.Net;
using FunctionsGateway.Client;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.Pairing;

/// <summary>What a flood costs once a cap is reached, counted on the wire to Azurite: reads, and no pairing write.</summary>
public sealed class PendingLimitCostTests
{
    [Fact]
    public async Task A_refusal_past_a_cap_reads_two_ledger_rows_and_writes_only_the_callers_own_connection_row()
    {
        await using var gw = await GatewayHarness.StartAsync(settings: new Dictionary<string, string?> { ["Gateway:Pairing:MaxPendingPerAddress"] = "1" });

        // An address of this test's own: other tests share this Azurite and its gateway-wide ledger, never this address.
        var address = ClientAddress.NewUserId(new IPAddress([10, (byte)Random.Shared.Next(256), (byte)Random.Shared.Next(256), (byte)Random.Shared.Next(1, 255)]));
        using var first = DeviceKey.Generate();
        using var second = DeviceKey.Generate();
        Assert.Equal(ErrorCodes.NotPaired, (await PrivatePairingStorage.ConnectAsync(gw, first, [OperatorScopes.Read], address)).Response.Error!.Code);

        gw.StorageRequests.Clear();
        var refused = await PrivatePairingStorage.ConnectAsync(gw, second, [OperatorScopes.Read], address);

        Assert.Equal(DetailCodes.PendingLimit, refused.DetailCode());
        var requests = gw.StorageRequests.Requests.ToList();
        Assert.Equal(2, requests.Count(r => r.Method == "GET" && r.Path.Contains("GatewayPairingRequests(PartitionKey='~limits'", StringComparison.Ordinal)));
        Assert.All(requests.Where(r => r.Method != "GET"), r => Assert.Contains("GatewayConnections", r.Path, StringComparison.Ordinal));
        Assert.Empty(await gw.DeviceRowsAsync(second.DeviceId));
    }
}
