using System.Buffers.Binary;
using Azure;
using Azure.Data.Tables;
using FunctionsGateway.Core.Pairing;

namespace FunctionsGateway.Storage;

/// <summary>The pending-request ledgers, one row per scope in one partition, so a reservation commits atomically.</summary>
internal sealed class TablePendingLedger(GatewayTables tables) : IPendingLedger
{
    private const int EntrySize = 20;

    public async Task<PendingLedgerRow> ReadAsync(string scope, CancellationToken cancellationToken)
        => await tables.PairingRequests.FindAsync<PendingLedgerEntity>(PendingLedgerEntity.Partition, RowKey(scope), cancellationToken) is { } e
            ? ToRow(e)
            : new PendingLedgerRow { Scope = scope };

    public async Task<bool> TryCommitAsync(IReadOnlyList<PendingLedgerRow> rows, CancellationToken cancellationToken)
    {
        var writes = new List<(PendingLedgerRow Row, TableTransactionAction Action)>();
        foreach (var row in rows)
        {
            var entity = ToEntity(row);
            if (row.Entries.Count == 0 && row.WindowEvents == 0)
            {
                if (row.Version is not null)
                {
                    writes.Add((row, new TableTransactionAction(TableTransactionActionType.Delete, entity, entity.ETag)));
                }
            }
            else
            {
                writes.Add((row, row.Version is null
                    ? new TableTransactionAction(TableTransactionActionType.Add, entity)
                    : new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, entity.ETag)));
            }
        }

        return writes.Count switch
        {
            0 => true,
            1 => await TryWriteOneAsync(writes[0].Row, writes[0].Action, cancellationToken),
            _ => await TrySubmitAsync(writes, cancellationToken),
        };
    }

    public async Task<IReadOnlyList<PendingLedgerRow>> ListStaleAddressRowsAsync(DateTimeOffset now, int max, CancellationToken cancellationToken)
    {
        var start = PendingLedgerEntity.AddressPrefix;
        var end = DeviceRows.PrefixEnd(start);
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {PendingLedgerEntity.Partition} and RowKey ge {start} and RowKey lt {end} and LastExpiresAt le {now}");
        var list = new List<PendingLedgerRow>();
        await foreach (var row in tables.PairingRequests.QueryAsync<PendingLedgerEntity>(filter, maxPerPage: Math.Clamp(max, 1, 1000), cancellationToken: cancellationToken))
        {
            if (list.Count >= max)
            {
                break;
            }

            list.Add(ToRow(row));
        }

        return list;
    }

    private async Task<bool> TryWriteOneAsync(PendingLedgerRow row, TableTransactionAction action, CancellationToken cancellationToken)
    {
        var entity = (PendingLedgerEntity)action.Entity;
        try
        {
            Response response;
            switch (action.ActionType)
            {
                case TableTransactionActionType.Add:
                    response = await tables.PairingRequests.AddEntityAsync(entity, cancellationToken);
                    break;
                case TableTransactionActionType.UpdateReplace:
                    response = await tables.PairingRequests.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken);
                    break;
                default:
                    // A conditional delete of a row already gone answers 404 without throwing: a lost race too.
                    response = await tables.PairingRequests.DeleteEntityAsync(entity.PartitionKey, entity.RowKey, entity.ETag, cancellationToken);
                    return response.Status != 404;
            }

            row.Version = response.Headers.ETag?.ToString();
            return true;
        }
        catch (RequestFailedException ex) when (ex.IsConflict() || ex.Status == 404)
        {
            return false;
        }
    }

    private async Task<bool> TrySubmitAsync(List<(PendingLedgerRow Row, TableTransactionAction Action)> writes, CancellationToken cancellationToken)
    {
        try
        {
            var response = await tables.PairingRequests.SubmitAsync([.. writes.Select(w => w.Action)], cancellationToken);
            for (var i = 0; i < writes.Count && i < response.Value.Count; i++)
            {
                writes[i].Row.Version = writes[i].Action.ActionType == TableTransactionActionType.Delete ? null : response.Value[i].Headers.ETag?.ToString();
            }

            return true;
        }
        catch (TableTransactionFailedException ex) when (ex.IsConflict())
        {
            return false;
        }
    }

    private static string RowKey(string scope)
        => scope == PendingLimits.GatewayScope ? scope : PendingLedgerEntity.AddressPrefix + TableKeys.Require(scope, nameof(scope));

    private static PendingLedgerRow ToRow(PendingLedgerEntity e)
    {
        var row = new PendingLedgerRow
        {
            Scope = e.RowKey.StartsWith(PendingLedgerEntity.AddressPrefix, StringComparison.Ordinal) ? e.RowKey[PendingLedgerEntity.AddressPrefix.Length..] : e.RowKey,
            WindowStart = e.WindowStart,
            WindowEvents = e.WindowEvents,
            Version = EntityMapping.ToVersion(e.ETag),
        };
        var bytes = e.Entries ?? [];
        for (var offset = 0; offset + EntrySize <= bytes.Length; offset += EntrySize)
        {
            var id = Convert.ToHexStringLower(bytes, offset, 16);
            var expires = DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset + 16, 4)));
            row.Entries.Add(new LedgerEntry(id, expires));
        }

        return row;
    }

    private static PendingLedgerEntity ToEntity(PendingLedgerRow row)
    {
        var bytes = new byte[row.Entries.Count * EntrySize];
        var last = DateTimeOffset.UnixEpoch;
        for (var i = 0; i < row.Entries.Count; i++)
        {
            var entry = row.Entries[i];
            Convert.FromHexString(entry.RequestId).CopyTo(bytes, i * EntrySize);

            // Rounded up to the second: an entry never stops counting before its request expires.
            var seconds = (uint)Math.Clamp((entry.ExpiresAt.ToUnixTimeMilliseconds() + 999) / 1000, 0, uint.MaxValue);
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(i * EntrySize + 16, 4), seconds);
            last = entry.ExpiresAt > last ? entry.ExpiresAt : last;
        }

        return new PendingLedgerEntity
        {
            PartitionKey = PendingLedgerEntity.Partition,
            RowKey = RowKey(row.Scope),
            Entries = bytes,
            Count = row.Entries.Count,
            LastExpiresAt = last,
            WindowStart = row.WindowStart < DateTimeOffset.UnixEpoch ? DateTimeOffset.UnixEpoch : row.WindowStart,
            WindowEvents = row.WindowEvents,
            ETag = EntityMapping.ToETag(row.Version),
        };
    }
}
