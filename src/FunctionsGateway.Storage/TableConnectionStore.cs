using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using FunctionsGateway.Core.Connections;

namespace FunctionsGateway.Storage;

/// <summary>
/// Connection rows keyed by connection id (PartitionKey): one point read per admitted call, no writes. Every row this
/// store writes is stamped with the <see cref="ConnectionScope"/> (the service holding the connection).
/// </summary>
internal sealed class TableConnectionStore(GatewayTables tables, ConnectionScope scope) : IConnectionStore
{
    private const string Row = "";

    private string? Service => scope.IsNone ? null : scope.Service;

    public async Task<ConnectionRecord?> GetAsync(string connectionId, CancellationToken cancellationToken)
        => await tables.Connections.FindAsync<ConnectionEntity>(connectionId, Row, cancellationToken) is { } e ? EntityMapping.ToRecord(e) : null;

    public async Task<bool> TryAddAsync(ConnectionRecord row, CancellationToken cancellationToken)
    {
        var entity = EntityMapping.ToEntity(row, Row);
        entity.Service = Service;
        try
        {
            var response = await tables.Connections.AddEntityAsync(entity, cancellationToken);
            row.Version = response.Headers.ETag?.ToString() ?? row.Version;
            return true;
        }
        catch (RequestFailedException ex) when (ex.IsConflict())
        {
            return false;
        }
    }

    public async Task<bool> TryReplaceAsync(ConnectionRecord row, CancellationToken cancellationToken)
    {
        var entity = EntityMapping.ToEntity(row, Row);
        entity.Service = Service;
        try
        {
            var response = await tables.Connections.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken);
            row.Version = response.Headers.ETag?.ToString() ?? row.Version;
            return true;
        }
        catch (RequestFailedException ex) when (ex.IsConflict() || ex.Status == 404)
        {
            return false;
        }
    }

    public async Task MarkClosedAsync(string connectionId, string reason, CancellationToken cancellationToken)
    {
        var row = new TableEntity(connectionId, Row)
        {
            [nameof(ConnectionEntity.State)] = (int)ConnectionState.Closed,
            [nameof(ConnectionEntity.ClosedReason)] = reason,
        };
        try
        {
            await tables.Connections.UpdateEntityAsync(row, ETag.All, TableUpdateMode.Merge, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Already gone: nothing to invalidate.
        }
    }

    public async Task DeleteAsync(string connectionId, CancellationToken cancellationToken)
        => await tables.Connections.DeleteIfExistsAsync(connectionId, Row, cancellationToken);

    public async IAsyncEnumerable<ConnectionRecord> ListIdleAsync(DateTimeOffset writtenBefore, string? afterConnectionId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (Service is not { } service)
        {
            yield break;
        }

        // Timestamp is the service-side time of the row's last write: rows written since the cutoff are filtered out
        // by the table service, so only idle rows come back (a page per 1,000 rows scanned).
        var filter = afterConnectionId is null
            ? TableClient.CreateQueryFilter($"Service eq {service} and Timestamp lt {writtenBefore}")
            : TableClient.CreateQueryFilter($"Service eq {service} and Timestamp lt {writtenBefore} and PartitionKey gt {afterConnectionId}");
        await foreach (var entity in tables.Connections.QueryAsync<ConnectionEntity>(filter, cancellationToken: cancellationToken))
        {
            yield return EntityMapping.ToRecord(entity);
        }
    }

    public async Task<bool> TryDeleteAsync(ConnectionRecord row, CancellationToken cancellationToken)
    {
        try
        {
            // The SDK answers a delete of a missing entity with its 404 response instead of throwing.
            var response = await tables.Connections.DeleteEntityAsync(row.ConnectionId, Row, EntityMapping.ToETag(row.Version), cancellationToken);
            return response.Status != 404;
        }
        catch (RequestFailedException ex) when (ex.IsConflict() || ex.Status == 404)
        {
            return false;
        }
    }
}
