using System.Globalization;
using Azure;
using Azure.Data.Tables;
using FunctionsGateway.Core.Audit;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Storage;

/// <summary>Append-only audit rows, one partition per UTC day, newest first inside a day.</summary>
internal sealed class TableAuditStore(GatewayTables tables) : IAuditStore
{
    public async Task AppendAsync(AuditEntry entry, CancellationToken cancellationToken)
        => await tables.Audit.AddEntityAsync(ToEntity(entry, Guid.NewGuid().ToString("N")), cancellationToken);

    public async Task<bool> AppendOnceAsync(AuditEntry entry, string key, CancellationToken cancellationToken)
    {
        try
        {
            await tables.Audit.AddEntityAsync(ToEntity(entry, key), cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.IsConflict())
        {
            return false;
        }
    }

    /// <summary>RowKey <c>{inverted ticks}-{key}</c>: newest first in a day, and the same key and time make the same row.</summary>
    private static AuditEntity ToEntity(AuditEntry entry, string key)
    {
        return new AuditEntity
        {
            PartitionKey = Partition(entry.At),
            RowKey = (DateTimeOffset.MaxValue.UtcTicks - entry.At.UtcTicks).ToString("D19", CultureInfo.InvariantCulture) + "-" + key,
            Action = entry.Action,
            Reason = entry.Reason,
            DeviceId = entry.DeviceId,
            RequestId = entry.RequestId,
            Role = entry.Role,
            ScopesFrom = string.Join(',', entry.ScopesFrom),
            ScopesTo = string.Join(',', entry.ScopesTo),
            Actor = entry.Actor,
            At = entry.At,
        };
    }

    /// <summary>Reads day partitions backwards; never a table scan.</summary>
    public async Task<IReadOnlyList<AuditEntry>> ListAsync(DateTimeOffset newest, int days, AuditFilter filter, int limit, CancellationToken cancellationToken)
    {
        var results = new List<AuditEntry>(Math.Min(limit, 64));
        var day = newest;
        for (var i = 0; i < days && results.Count < limit; i++, day = day.AddDays(-1))
        {
            var query = TableClient.CreateQueryFilter($"PartitionKey eq {Partition(day)}");
            if (filter.DeviceId is { } deviceId)
            {
                query += " and " + TableClient.CreateQueryFilter($"DeviceId eq {deviceId}");
            }

            if (filter.Action is { } action)
            {
                query += " and " + TableClient.CreateQueryFilter($"Action eq {action}");
            }

            await foreach (var row in tables.Audit.QueryAsync<AuditEntity>(query, maxPerPage: Math.Min(limit, 1000), cancellationToken: cancellationToken))
            {
                results.Add(new AuditEntry(row.Action, row.Reason, row.DeviceId, row.RequestId, row.Role,
                    OperatorScopes.ToNames(OperatorScopes.FromStorage(row.ScopesFrom)),
                    OperatorScopes.ToNames(OperatorScopes.FromStorage(row.ScopesTo)),
                    row.Actor, row.At));
                if (results.Count >= limit)
                {
                    break;
                }
            }
        }

        return results;
    }

    private static string Partition(DateTimeOffset at) => at.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
}
