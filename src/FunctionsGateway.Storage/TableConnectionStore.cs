using Azure;
using Azure.Data.Tables;
using FunctionsGateway.Core.Connections;

namespace FunctionsGateway.Storage;

/// <summary>Connection rows keyed by connection id (PartitionKey): one point read per admitted call, no writes.</summary>
internal sealed class TableConnectionStore(GatewayTables tables) : IConnectionStore
{
    private const string Row = "";

    public async Task<ConnectionRecord?> GetAsync(string connectionId, CancellationToken cancellationToken)
        => await tables.Connections.FindAsync<ConnectionEntity>(connectionId, Row, cancellationToken) is { } e ? EntityMapping.ToRecord(e) : null;

    public async Task<bool> TryIssueChallengeAsync(ConnectionRecord? existing, string connectionId, string nonce, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var row = new ConnectionEntity
        {
            PartitionKey = connectionId,
            RowKey = Row,
            State = (int)ConnectionState.Challenged,
            Nonce = nonce,
            NonceExpiresAt = expiresAt,
        };
        try
        {
            if (existing is null)
            {
                await tables.Connections.AddEntityAsync(row, cancellationToken);
            }
            else
            {
                await tables.Connections.UpdateEntityAsync(row, EntityMapping.ToETag(existing.Version), TableUpdateMode.Replace, cancellationToken);
            }

            return true;
        }
        catch (RequestFailedException ex) when (ex.IsConflict() || ex.Status == 404)
        {
            return false;
        }
    }

    public async Task<bool> TryReplaceAsync(ConnectionRecord row, CancellationToken cancellationToken)
    {
        var entity = EntityMapping.ToEntity(row, Row);
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
}
