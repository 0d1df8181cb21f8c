using Azure;
using Azure.Data.Tables;
using FunctionsGateway.Core.Storage;

namespace FunctionsGateway.Core.Pairing;

/// <summary>What the handshake needs to know about one device, read with point reads only.</summary>
public sealed record DeviceSnapshot(DeviceEntity? Device, DeviceTokenEntity? Token, InternalIdentityEntity? Internal);

/// <summary>Rows of one device's partition. Every read-modify-write is conditional on the ETag it read.</summary>
public sealed class DeviceStore(GatewayTables tables)
{
    public TableClient Table => tables.Devices;

    public async Task<DeviceSnapshot> ReadAsync(string deviceId, string role, bool includeInternal, CancellationToken cancellationToken)
    {
        var device = tables.Devices.FindAsync<DeviceEntity>(deviceId, DeviceRows.Device, cancellationToken);
        var token = tables.Devices.FindAsync<DeviceTokenEntity>(deviceId, DeviceRows.Token(role), cancellationToken);
        var marker = includeInternal
            ? tables.Devices.FindAsync<InternalIdentityEntity>(deviceId, DeviceRows.Internal, cancellationToken)
            : Task.FromResult<InternalIdentityEntity?>(null);
        await Task.WhenAll(device, token, marker);
        return new DeviceSnapshot(await device, await token, await marker);
    }

    public Task<DeviceEntity?> GetDeviceAsync(string deviceId, CancellationToken cancellationToken)
        => tables.Devices.FindAsync<DeviceEntity>(deviceId, DeviceRows.Device, cancellationToken);

    public Task<PendingRequestEntity?> GetPendingAsync(string deviceId, CancellationToken cancellationToken)
        => tables.Devices.FindAsync<PendingRequestEntity>(deviceId, DeviceRows.Pending, cancellationToken);

    public Task<DeviceTokenEntity?> GetTokenAsync(string deviceId, string role, CancellationToken cancellationToken)
        => tables.Devices.FindAsync<DeviceTokenEntity>(deviceId, DeviceRows.Token(role), cancellationToken);

    /// <summary>
    /// Registers an identity our own code just created; only such an identity may pair silently, once. Refused (false)
    /// for a key that is already registered or paired, so re-registering can never re-open the silent path.
    /// </summary>
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

    /// <summary>Live connection ids of a device (optionally one role), from its own partition.</summary>
    public async Task<IReadOnlyList<(string ConnectionId, string Role)>> ListConnectionsAsync(string deviceId, string? role, CancellationToken cancellationToken)
    {
        var start = DeviceRows.ConnectionPrefix;
        var end = DeviceRows.PrefixEnd(start);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {deviceId} and RowKey ge {start} and RowKey lt {end}");
        var list = new List<(string, string)>();
        await foreach (var row in tables.Devices.QueryAsync<ConnectionIndexEntity>(filter, cancellationToken: cancellationToken))
        {
            if (role is null || row.Role == role)
            {
                list.Add((row.RowKey[DeviceRows.ConnectionPrefix.Length..], row.Role));
            }
        }

        return list;
    }

    public async Task RemoveConnectionIndexAsync(string deviceId, string connectionId, CancellationToken cancellationToken)
    {
        try
        {
            await tables.Devices.DeleteEntityAsync(deviceId, DeviceRows.Connection(connectionId), ETag.All, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
        }
    }

    /// <summary>Every row in the device's partition (device, tokens, pending, marker, connection index).</summary>
    public async Task<IReadOnlyList<TableEntity>> ReadPartitionAsync(string deviceId, CancellationToken cancellationToken)
    {
        var rows = new List<TableEntity>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {deviceId}");
        await foreach (var row in tables.Devices.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            rows.Add(row);
        }

        return rows;
    }

    public async Task UpsertDirectoryAsync(DeviceEntity device, CancellationToken cancellationToken)
    {
        var entry = new DeviceEntity
        {
            PartitionKey = DeviceRows.DirectoryPartition,
            RowKey = device.PartitionKey,
            PublicKey = device.PublicKey,
            Roles = device.Roles,
            Scopes = device.Scopes,
            Platform = device.Platform,
            DeviceFamily = device.DeviceFamily,
            ClientId = device.ClientId,
            IsInternal = device.IsInternal,
            BoundSessionKey = device.BoundSessionKey,
            PairedAt = device.PairedAt,
        };
        await tables.Devices.UpsertEntityAsync(entry, TableUpdateMode.Replace, cancellationToken);
    }

    public async Task DeleteDirectoryAsync(string deviceId, CancellationToken cancellationToken)
    {
        try
        {
            await tables.Devices.DeleteEntityAsync(DeviceRows.DirectoryPartition, deviceId, ETag.All, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
        }
    }

    public async Task<IReadOnlyList<DeviceEntity>> ListDirectoryAsync(string? onlyDeviceId, CancellationToken cancellationToken)
    {
        var list = new List<DeviceEntity>();
        if (onlyDeviceId is not null)
        {
            var one = await tables.Devices.FindAsync<DeviceEntity>(DeviceRows.DirectoryPartition, onlyDeviceId, cancellationToken);
            if (one is not null)
            {
                list.Add(one);
            }

            return list;
        }

        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {DeviceRows.DirectoryPartition}");
        await foreach (var row in tables.Devices.QueryAsync<DeviceEntity>(filter, cancellationToken: cancellationToken))
        {
            list.Add(row);
        }

        return list;
    }
}
