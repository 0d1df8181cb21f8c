using Azure;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using FunctionsGateway.Core.Telemetry;

namespace FunctionsGateway.Storage;

/// <summary>The gateway's tables, created once at start-up.</summary>
public sealed class GatewayTables(TableServiceClient service)
{
    public TableClient Devices { get; } = service.GetTableClient(StorageNames.DevicesTable);
    public TableClient PairingRequests { get; } = service.GetTableClient(StorageNames.PairingRequestsTable);
    public TableClient Connections { get; } = service.GetTableClient(StorageNames.ConnectionsTable);
    public TableClient Audit { get; } = service.GetTableClient(StorageNames.AuditTable);
    public TableClient Sessions { get; } = service.GetTableClient(StorageNames.SessionsTable);
    public TableClient Runs { get; } = service.GetTableClient(StorageNames.RunsTable);

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken = default)
    {
        foreach (var table in new[] { Devices, PairingRequests, Connections, Audit, Sessions, Runs })
        {
            await table.CreateIfNotExistsAsync(cancellationToken);
        }
    }
}

internal static class TableExtensions
{
    /// <summary>A point read that answers null for a missing row instead of throwing.</summary>
    public static async Task<T?> FindAsync<T>(this TableClient table, string partitionKey, string rowKey, CancellationToken cancellationToken)
        where T : class, ITableEntity
    {
        var response = await table.GetEntityIfExistsAsync<T>(partitionKey, rowKey, cancellationToken: cancellationToken);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>An unconditional delete; a row that is already gone is fine.</summary>
    public static async Task DeleteIfExistsAsync(this TableClient table, string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        try
        {
            await table.DeleteEntityAsync(partitionKey, rowKey, ETag.All, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Already gone.
        }
    }

    /// <summary>
    /// <see cref="TableClient.SubmitTransactionAsync"/>, naming the table for the storage span: a batch is addressed to
    /// <c>/$batch</c>, not to its table.
    /// </summary>
    public static async Task<Response<IReadOnlyList<Response>>> SubmitAsync(this TableClient table, IEnumerable<TableTransactionAction> actions,
        CancellationToken cancellationToken)
    {
        using var scope = GatewayTelemetry.Tracing
            ? HttpPipeline.CreateHttpMessagePropertiesScope(new Dictionary<string, object?> { [StorageTelemetryPolicy.TableProperty] = table.Name })
            : null;
        return await table.SubmitTransactionAsync(actions, cancellationToken);
    }

    /// <summary>412 (ETag) or 409 (exists): someone else changed the row first.</summary>
    public static bool IsConflict(this RequestFailedException ex) => ex.Status is 409 or 412;

    /// <summary>In a transaction a 404 also means a row we read was deleted meanwhile: the same lost race.</summary>
    public static bool IsConflict(this TableTransactionFailedException ex) => ex.Status is 404 or 409 or 412;
}
