using Azure;
using Azure.Data.Tables;
using FunctionsGateway.Core.Pairing;

namespace FunctionsGateway.Storage;

/// <summary>
/// Pending requests by id (PartitionKey "pending", RowKey = requestId) and decided ones (PartitionKey "resolved"): every
/// lookup is a point read, and every list a range query over one partition in key order, paged by the last key.
/// </summary>
internal sealed class TablePairingRequestIndex(GatewayTables tables) : IPairingRequestIndex
{
    public async Task AddAsync(PendingRequestRecord request, CancellationToken cancellationToken)
        => await tables.PairingRequests.AddEntityAsync(EntityMapping.ToIndexEntity(request), cancellationToken);

    public async Task<PendingRequestRecord?> FindAsync(string requestId, CancellationToken cancellationToken)
        => await tables.PairingRequests.FindAsync<PendingIndexEntity>(PendingIndexEntity.Partition, requestId, cancellationToken) is { } e
            ? EntityMapping.ToRecord(e)
            : null;

    public async Task DeleteAsync(string requestId, CancellationToken cancellationToken)
        => await tables.PairingRequests.DeleteIfExistsAsync(PendingIndexEntity.Partition, requestId, cancellationToken);

    public Task<bool> TryDeleteAsync(PendingRequestRecord indexed, CancellationToken cancellationToken)
        => TryDeleteAsync(PendingIndexEntity.Partition, indexed.RequestId, indexed.Version, cancellationToken);

    public async Task<ListPage<PendingRequestRecord>> ListLiveAsync(DateTimeOffset now, int limit, string? after, string? onlyDeviceId, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {PendingIndexEntity.Partition} and ExpiresAt gt {now}");
        if (after is not null)
        {
            filter += " and " + TableClient.CreateQueryFilter($"RowKey gt {after}");
        }

        if (onlyDeviceId is not null)
        {
            filter += " and " + TableClient.CreateQueryFilter($"DeviceId eq {onlyDeviceId}");
        }

        return await PageAsync(tables.PairingRequests, filter, limit, EntityMapping.ToRecord, (PendingIndexEntity e) => e.RowKey, cancellationToken);
    }

    public async Task<IReadOnlyList<PendingRequestRecord>> ListExpiredAsync(DateTimeOffset now, int max, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {PendingIndexEntity.Partition} and ExpiresAt le {now}");
        return (await PageAsync(tables.PairingRequests, filter, max, EntityMapping.ToRecord, (PendingIndexEntity e) => e.RowKey, cancellationToken)).Items;
    }

    public async Task MarkResolvedAsync(ResolvedRequestRecord resolved, CancellationToken cancellationToken)
        => await tables.PairingRequests.UpsertEntityAsync(new ResolvedRequestEntity
        {
            PartitionKey = ResolvedRequestEntity.Partition,
            RowKey = resolved.RequestId,
            DeviceId = resolved.DeviceId,
            Decision = resolved.Decision,
            ResolvedAt = resolved.ResolvedAt,
        }, TableUpdateMode.Replace, cancellationToken);

    public async Task<ResolvedRequestRecord?> FindResolvedAsync(string requestId, CancellationToken cancellationToken)
        => await tables.PairingRequests.FindAsync<ResolvedRequestEntity>(ResolvedRequestEntity.Partition, requestId, cancellationToken) is { } e
            ? ToRecord(e)
            : null;

    public async Task<IReadOnlyList<ResolvedRequestRecord>> ListResolvedBeforeAsync(DateTimeOffset before, int max, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {ResolvedRequestEntity.Partition} and ResolvedAt lt {before}");
        return (await PageAsync(tables.PairingRequests, filter, max, ToRecord, (ResolvedRequestEntity e) => e.RowKey, cancellationToken)).Items;
    }

    public Task<bool> TryDeleteResolvedAsync(ResolvedRequestRecord resolved, CancellationToken cancellationToken)
        => TryDeleteAsync(ResolvedRequestEntity.Partition, resolved.RequestId, resolved.Version, cancellationToken);

    /// <summary>
    /// At most <paramref name="limit"/> rows of a single-partition query in key order (reading one more to know whether
    /// there are more): then <see cref="ListPage{T}.Next"/> is the last key returned.
    /// </summary>
    internal static async Task<ListPage<TRecord>> PageAsync<TEntity, TRecord>(TableClient table, string filter, int limit,
        Func<TEntity, TRecord> map, Func<TEntity, string> key, CancellationToken cancellationToken)
        where TEntity : class, ITableEntity, new()
    {
        var items = new List<TRecord>();
        string? last = null;
        if (limit <= 0)
        {
            return new(items, null);
        }

        await foreach (var row in table.QueryAsync<TEntity>(filter, maxPerPage: Math.Min(limit + 1, 1000), cancellationToken: cancellationToken))
        {
            if (items.Count == limit)
            {
                return new(items, last);
            }

            items.Add(map(row));
            last = key(row);
        }

        return new(items, null);
    }

    private async Task<bool> TryDeleteAsync(string partition, string rowKey, string? version, CancellationToken cancellationToken)
    {
        try
        {
            // A conditional delete of a row already gone answers 404 without throwing.
            var response = await tables.PairingRequests.DeleteEntityAsync(partition, rowKey, EntityMapping.ToETag(version), cancellationToken);
            return response.Status != 404;
        }
        catch (RequestFailedException ex) when (ex.IsConflict() || ex.Status == 404)
        {
            return false;
        }
    }

    private static ResolvedRequestRecord ToRecord(ResolvedRequestEntity e) => new()
    {
        RequestId = e.RowKey,
        DeviceId = e.DeviceId,
        Decision = e.Decision,
        ResolvedAt = e.ResolvedAt,
        Version = EntityMapping.ToVersion(e.ETag),
    };
}
