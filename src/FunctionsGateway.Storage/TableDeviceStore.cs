using Azure;
using Azure.Data.Tables;
using FunctionsGateway.Core.Pairing;

namespace FunctionsGateway.Storage;

/// <summary>
/// Rows of one device's partition (PartitionKey = deviceId), so one device is one transaction scope; plus the
/// directory partition that lists paired devices without a scan.
/// </summary>
internal sealed class TableDeviceStore(GatewayTables tables) : IDeviceStore
{
    /// <summary>Table Storage's limit of actions in one transaction.</summary>
    private const int MaxBatch = 100;

    /// <summary>
    /// One query in the device's partition for exactly the rows admission needs (device, the role's token, and the
    /// internal marker when asked): the RowKey range bounds the rows the service examines to those between "device"
    /// and "token:…", so connection index ("conn:…") and decision ("decision:…") rows, which sort before it, cost nothing.
    /// </summary>
    public async Task<DeviceSnapshot> ReadAsync(string deviceId, string role, bool includeInternal, CancellationToken cancellationToken)
    {
        var tokenRow = DeviceRows.Token(role);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {deviceId} and RowKey ge {DeviceRows.Device} and RowKey le {tokenRow}")
            + " and (" + TableClient.CreateQueryFilter($"RowKey eq {DeviceRows.Device} or RowKey eq {tokenRow}")
            + (includeInternal ? " or " + TableClient.CreateQueryFilter($"RowKey eq {DeviceRows.Internal}") : string.Empty) + ")";
        DeviceRecord? device = null;
        DeviceTokenRecord? token = null;
        InternalIdentityRecord? marker = null;
        await foreach (var row in tables.Devices.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            if (row.RowKey == DeviceRows.Device)
            {
                device = EntityMapping.ToRecord(Convert<DeviceEntity>(row));
            }
            else if (row.RowKey == tokenRow)
            {
                token = EntityMapping.ToRecord(Convert<DeviceTokenEntity>(row));
            }
            else if (row.RowKey == DeviceRows.Internal)
            {
                marker = EntityMapping.ToRecord(Convert<InternalIdentityEntity>(row));
            }
        }

        return new DeviceSnapshot(device, token, marker);
    }

    public async Task<DeviceRecord?> GetDeviceAsync(string deviceId, CancellationToken cancellationToken)
        => await tables.Devices.FindAsync<DeviceEntity>(deviceId, DeviceRows.Device, cancellationToken) is { } e ? EntityMapping.ToRecord(e) : null;

    public async Task<PendingRequestRecord?> GetPendingAsync(string deviceId, CancellationToken cancellationToken)
        => await tables.Devices.FindAsync<PendingRequestEntity>(deviceId, DeviceRows.Pending, cancellationToken) is { } e ? EntityMapping.ToRecord(e) : null;

    public async Task<DeviceTokenRecord?> GetTokenAsync(string deviceId, string role, CancellationToken cancellationToken)
        => await tables.Devices.FindAsync<DeviceTokenEntity>(deviceId, DeviceRows.Token(role), cancellationToken) is { } e ? EntityMapping.ToRecord(e) : null;

    public async Task<PairingDecisionRecord?> GetDecisionAsync(string deviceId, string decisionId, CancellationToken cancellationToken)
        => await tables.Devices.FindAsync<PairingDecisionEntity>(deviceId, DeviceRows.Decision(decisionId), cancellationToken) is { } e ? EntityMapping.ToRecord(e) : null;

    /// <summary>
    /// One query by row-key range across partitions: the service examines every row of the table (a few pages for
    /// thousands of devices) but returns only decision records, which exist only while a decision's follow-ups are unfinished.
    /// </summary>
    public async Task<IReadOnlyList<PairingDecisionRecord>> ListDecisionsBeforeAsync(DateTimeOffset before, int max, CancellationToken cancellationToken)
    {
        var start = DeviceRows.DecisionPrefix;
        var end = DeviceRows.PrefixEnd(start);
        var filter = TableClient.CreateQueryFilter($"RowKey ge {start} and RowKey lt {end} and DecidedAt lt {before}");
        return (await TablePairingRequestIndex.PageAsync(tables.Devices, filter, max, EntityMapping.ToRecord, (PairingDecisionEntity e) => e.RowKey, cancellationToken)).Items;
    }

    public async Task<DeviceRowSet> ReadAllAsync(string deviceId, CancellationToken cancellationToken)
    {
        DeviceRecord? device = null;
        PendingRequestRecord? pending = null;
        InternalIdentityRecord? marker = null;
        var tokens = new List<DeviceTokenRecord>();
        var connections = new List<DeviceConnectionRecord>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {deviceId}");
        await foreach (var row in tables.Devices.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            switch (row.RowKey)
            {
                case DeviceRows.Device:
                    device = EntityMapping.ToRecord(Convert<DeviceEntity>(row));
                    break;
                case DeviceRows.Pending:
                    pending = EntityMapping.ToRecord(Convert<PendingRequestEntity>(row));
                    break;
                case DeviceRows.Internal:
                    marker = EntityMapping.ToRecord(Convert<InternalIdentityEntity>(row));
                    break;
                case var key when key.StartsWith(DeviceRows.TokenPrefix, StringComparison.Ordinal):
                    tokens.Add(EntityMapping.ToRecord(Convert<DeviceTokenEntity>(row)));
                    break;
                case var key when key.StartsWith(DeviceRows.ConnectionPrefix, StringComparison.Ordinal):
                    connections.Add(EntityMapping.ToRecord(Convert<ConnectionIndexEntity>(row)));
                    break;
            }
        }

        return new DeviceRowSet(device, pending, marker, tokens, connections);
    }

    public async Task<IReadOnlyList<DeviceConnectionRecord>> ListConnectionsAsync(string deviceId, string? role, CancellationToken cancellationToken)
    {
        var start = DeviceRows.ConnectionPrefix;
        var end = DeviceRows.PrefixEnd(start);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {deviceId} and RowKey ge {start} and RowKey lt {end}");
        var list = new List<DeviceConnectionRecord>();
        await foreach (var row in tables.Devices.QueryAsync<ConnectionIndexEntity>(filter, cancellationToken: cancellationToken))
        {
            if (role is null || row.Role == role)
            {
                list.Add(EntityMapping.ToRecord(row));
            }
        }

        return list;
    }

    public async Task<bool> TryCommitAsync(IReadOnlyList<DeviceWrite> writes, CancellationToken cancellationToken)
    {
        if (writes.Count == 1)
        {
            return await TryWriteOneAsync(writes[0], cancellationToken);
        }

        var actions = writes.Select(ToAction).ToList();
        try
        {
            var response = await tables.Devices.SubmitAsync(actions, cancellationToken);
            for (var i = 0; i < writes.Count && i < response.Value.Count; i++)
            {
                if (writes[i].Kind != DeviceWriteKind.Delete && response.Value[i].Headers.ETag is { } etag)
                {
                    writes[i].Row.Version = etag.ToString();
                }
            }

            return true;
        }
        catch (TableTransactionFailedException ex) when (ex.IsConflict())
        {
            return false;
        }
    }

    public async Task<bool> TryRemoveAsync(DeviceRowSet rows, CancellationToken cancellationToken)
    {
        // The device row is conditional on the version the removal judged; the rest go whatever their version.
        var others = new List<DeviceRow>();
        others.AddRange(rows.Tokens);
        others.AddRange(rows.Connections);
        if (rows.Pending is not null)
        {
            others.Add(rows.Pending);
        }

        if (rows.Internal is not null)
        {
            others.Add(rows.Internal);
        }

        var batch = new List<TableTransactionAction>();
        if (rows.Device is not null)
        {
            batch.Add(ToAction(DeviceWrite.Delete(rows.Device)));
        }

        batch.AddRange(others.Take(MaxBatch - batch.Count).Select(r => Unconditional(TableTransactionActionType.Delete, r)));
        if (batch.Count == 0)
        {
            return true;
        }

        try
        {
            await tables.Devices.SubmitAsync(batch, cancellationToken);
        }
        catch (TableTransactionFailedException ex) when (ex.IsConflict())
        {
            return false;
        }

        // Only with very many live connections: the device is gone, so these rows are unreachable leftovers.
        foreach (var row in others.Skip(batch.Count - (rows.Device is null ? 0 : 1)))
        {
            var entity = EntityMapping.ToEntity(row);
            await tables.Devices.DeleteIfExistsAsync(entity.PartitionKey, entity.RowKey, cancellationToken);
        }

        return true;
    }

    public async Task<bool> RegisterInternalIdentityAsync(string deviceId, string? boundSessionKey, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await GetDeviceAsync(deviceId, cancellationToken) is not null)
        {
            return false;
        }

        try
        {
            await tables.Devices.AddEntityAsync(
                new InternalIdentityEntity { PartitionKey = deviceId, RowKey = DeviceRows.Internal, BoundSessionKey = boundSessionKey, CreatedAt = now },
                cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.IsConflict())
        {
            return false;
        }
    }

    public async Task RemoveConnectionAsync(string deviceId, string connectionId, CancellationToken cancellationToken)
        => await tables.Devices.DeleteIfExistsAsync(deviceId, DeviceRows.Connection(connectionId), cancellationToken);

    public async Task UpsertDirectoryAsync(DeviceRecord device, CancellationToken cancellationToken)
    {
        var entry = EntityMapping.ToEntity(device, DeviceRows.DirectoryPartition, device.DeviceId);
        entry.LastSeenAt = null;
        await tables.Devices.UpsertEntityAsync(entry, TableUpdateMode.Replace, cancellationToken);
    }

    public async Task DeleteDirectoryAsync(string deviceId, CancellationToken cancellationToken)
        => await tables.Devices.DeleteIfExistsAsync(DeviceRows.DirectoryPartition, deviceId, cancellationToken);

    public async Task<IReadOnlyList<DeviceRecord>> ListDirectoryAsync(string? onlyDeviceId, CancellationToken cancellationToken)
    {
        var list = new List<DeviceRecord>();
        if (onlyDeviceId is not null)
        {
            if (await tables.Devices.FindAsync<DeviceEntity>(DeviceRows.DirectoryPartition, onlyDeviceId, cancellationToken) is { } one)
            {
                list.Add(EntityMapping.ToRecord(one));
            }

            return list;
        }

        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {DeviceRows.DirectoryPartition}");
        await foreach (var row in tables.Devices.QueryAsync<DeviceEntity>(filter, cancellationToken: cancellationToken))
        {
            list.Add(EntityMapping.ToRecord(row));
        }

        return list;
    }

    public async Task<ListPage<DeviceRecord>> ListDirectoryPageAsync(int limit, string? after, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {DeviceRows.DirectoryPartition}");
        if (after is not null)
        {
            filter += " and " + TableClient.CreateQueryFilter($"RowKey gt {after}");
        }

        return await TablePairingRequestIndex.PageAsync(tables.Devices, filter, limit, EntityMapping.ToRecord, (DeviceEntity e) => e.RowKey, cancellationToken);
    }

    /// <summary>
    /// One write alone, without a batch. A conditional delete of a row that is already gone answers 404 without
    /// throwing: that is a lost race too, never a success.
    /// </summary>
    private async Task<bool> TryWriteOneAsync(DeviceWrite write, CancellationToken cancellationToken)
    {
        var entity = EntityMapping.ToEntity(write.Row);
        try
        {
            Response response;
            switch (write.Kind)
            {
                case DeviceWriteKind.Add:
                    response = await tables.Devices.AddEntityAsync(entity, cancellationToken);
                    break;
                case DeviceWriteKind.Replace:
                    response = await tables.Devices.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken);
                    break;
                case DeviceWriteKind.Upsert:
                    response = await tables.Devices.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
                    break;
                case DeviceWriteKind.Check:
                    response = await tables.Devices.UpdateEntityAsync(new TableEntity(entity.PartitionKey, entity.RowKey), entity.ETag, TableUpdateMode.Merge, cancellationToken);
                    break;
                default:
                    response = await tables.Devices.DeleteEntityAsync(entity.PartitionKey, entity.RowKey, entity.ETag, cancellationToken);
                    return response.Status != 404;
            }

            if (response.Headers.ETag is { } etag)
            {
                write.Row.Version = etag.ToString();
            }

            return true;
        }
        catch (RequestFailedException ex) when (ex.IsConflict() || ex.Status == 404)
        {
            return false;
        }
    }

    private static TableTransactionAction ToAction(DeviceWrite write)
    {
        var entity = EntityMapping.ToEntity(write.Row);
        return write.Kind switch
        {
            DeviceWriteKind.Add => new(TableTransactionActionType.Add, entity),
            DeviceWriteKind.Replace => new(TableTransactionActionType.UpdateReplace, entity, entity.ETag),
            DeviceWriteKind.Upsert => new(TableTransactionActionType.UpsertReplace, entity),
            DeviceWriteKind.Check => new(TableTransactionActionType.UpdateMerge, new TableEntity(entity.PartitionKey, entity.RowKey), entity.ETag),
            _ => new(TableTransactionActionType.Delete, entity, entity.ETag),
        };
    }

    private static TableTransactionAction Unconditional(TableTransactionActionType type, DeviceRow row)
    {
        var entity = EntityMapping.ToEntity(row);
        return new(type, entity, ETag.All);
    }

    private static T Convert<T>(TableEntity row) where T : EntityBase, new()
    {
        // Table entities carry every property by name; map through the typed SDK model so types stay exact.
        var typed = new T { PartitionKey = row.PartitionKey, RowKey = row.RowKey, Timestamp = row.Timestamp, ETag = row.ETag };
        foreach (var property in typeof(T).GetProperties())
        {
            if (property.CanWrite && row.TryGetValue(property.Name, out var value) && value is not null && property.Name is not (nameof(EntityBase.ETag) or nameof(EntityBase.Timestamp)))
            {
                var target = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
                property.SetValue(typed, target == typeof(DateTimeOffset) && value is DateTime dt ? new DateTimeOffset(dt, TimeSpan.Zero) : value);
            }
        }

        return typed;
    }
}
