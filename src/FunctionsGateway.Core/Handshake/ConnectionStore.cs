using Azure;
using Azure.Data.Tables;
using FunctionsGateway.Core.Storage;

namespace FunctionsGateway.Core.Handshake;

/// <summary>Connection rows keyed by connection id: one point read per admitted call, no writes.</summary>
public sealed class ConnectionStore(GatewayTables tables)
{
    private const string Row = "";

    public Task<ConnectionEntity?> GetAsync(string connectionId, CancellationToken cancellationToken)
        => tables.Connections.FindAsync<ConnectionEntity>(connectionId, Row, cancellationToken);

    /// <summary>Stores a fresh challenge; the caller has checked the connection is not admitted.</summary>
    public async Task<bool> TryIssueChallengeAsync(ConnectionEntity? existing, string connectionId, string nonce, DateTimeOffset expiresAt, CancellationToken cancellationToken)
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
                await tables.Connections.UpdateEntityAsync(row, existing.ETag, TableUpdateMode.Replace, cancellationToken);
            }

            return true;
        }
        catch (RequestFailedException ex) when (ex.IsConflict())
        {
            return false;
        }
    }

    /// <summary>Burns the challenge (single use) whatever the outcome of the connect that presented it.</summary>
    public async Task<ConnectionEntity?> TryConsumeNonceAsync(ConnectionEntity row, CancellationToken cancellationToken)
    {
        row.Nonce = null;
        row.NonceExpiresAt = null;
        try
        {
            var response = await tables.Connections.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, cancellationToken);
            row.ETag = response.Headers.ETag ?? row.ETag;
            return row;
        }
        catch (RequestFailedException ex) when (ex.IsConflict() || ex.Status == 404)
        {
            return null;
        }
    }

    public async Task<bool> TryAdmitAsync(ConnectionEntity row, CancellationToken cancellationToken)
    {
        row.State = (int)ConnectionState.Admitted;
        try
        {
            var response = await tables.Connections.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, cancellationToken);
            row.ETag = response.Headers.ETag ?? row.ETag;
            return true;
        }
        catch (RequestFailedException ex) when (ex.IsConflict() || ex.Status == 404)
        {
            return false;
        }
    }

    /// <summary>Marks a connection closed so any call already in flight on it is refused.</summary>
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
    {
        try
        {
            await tables.Connections.DeleteEntityAsync(connectionId, Row, ETag.All, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
        }
    }
}
