using Azure.Data.Tables;
using FunctionsGateway.Client;
using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Methods;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;
using FunctionsGateway.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace FunctionsGateway.IntegrationTests.Pairing;

/// <summary>
/// An Azurite of one test class's own, its tables emptied for every gateway a test starts on it, so pairing tests can
/// count whole tables: every pending row, index row and ledger row there is theirs.
/// </summary>
public sealed class PrivatePairingStorage : IAsyncLifetime
{
    private PrivateAzurite? azurite;

    public TableServiceClient Service { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        azurite = await PrivateAzurite.StartAsync();
        Service = new TableServiceClient(azurite.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (azurite is not null)
        {
            await azurite.DisposeAsync();
        }
    }

    /// <summary>A gateway on empty tables of this Azurite, with <paramref name="settings"/> on top of the harness's.</summary>
    public async Task<GatewayHarness> StartGatewayAsync(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configure = null)
    {
        foreach (var table in StorageNames.AllTables)
        {
            await Service.DeleteTableAsync(table);
        }

        return await GatewayHarness.StartAsync(services =>
        {
            services.AddSingleton(new GatewayTables(Service));
            configure?.Invoke(services);
        }, settings);
    }

    /// <summary>Every row of a table that matches <paramref name="filter"/>.</summary>
    public async Task<List<TableEntity>> RowsAsync(string table, string filter)
    {
        var rows = new List<TableEntity>();
        await foreach (var row in Service.GetTableClient(table).QueryAsync<TableEntity>(filter))
        {
            rows.Add(row);
        }

        return rows;
    }

    /// <summary>Pending rows in device partitions (RowKey "pending"), whichever device.</summary>
    public Task<List<TableEntity>> DevicePendingRowsAsync() => RowsAsync(StorageNames.DevicesTable, "RowKey eq 'pending'");

    public Task<List<TableEntity>> IndexRowsAsync(string partition) => RowsAsync(StorageNames.PairingRequestsTable, $"PartitionKey eq '{partition}'");

    /// <summary>Challenge then signed connect on <paramref name="connectionId"/>, as the upstream passes it: with the user id negotiate issued.</summary>
    public static async Task<DispatchResult> ConnectAsync(GatewayHarness gw, DeviceKey key, string[] scopes, string? userId = null, string? connectionId = null)
    {
        var context = new CallContext(connectionId ?? GatewayHarness.NewConnectionId(), CallOrigin.Network, userId);
        var challenge = await gw.Dispatcher.DispatchAsync(context, new GatewayRequest(GatewayMethods.ConnectChallenge, default), CancellationToken.None);
        if (!challenge.Response.Ok)
        {
            return challenge;
        }

        var nonce = GatewayHarness.Json(challenge.Response.Payload).GetProperty("nonce").GetString()!;
        var p = ConnectRequest.Build(key, GatewayHarness.Client(), GatewayRoles.Operator, scopes, nonce,
            new ConnectAuth { Token = GatewayHarness.SharedToken }, gw.Time.GetUtcNow());
        return await gw.Dispatcher.DispatchAsync(context, new GatewayRequest(GatewayMethods.Connect, GatewayHarness.Json(p)), CancellationToken.None);
    }
}

/// <summary>Reading a dispatch answer's error.</summary>
public static class Answers
{
    public static string? DetailCode(this DispatchResult result)
        => result.Response.Error is null ? null : GatewayHarness.Json(result.Response.Error).GetProperty("details").GetProperty("code").GetString();

    public static System.Text.Json.JsonElement Details(this DispatchResult result)
        => GatewayHarness.Json(result.Response.Error).GetProperty("details");

    public static string? DetailCode(this GatewayResponse response)
        => response.Error is null ? null : GatewayHarness.Json(response.Error).GetProperty("details").GetProperty("code").GetString();
}
