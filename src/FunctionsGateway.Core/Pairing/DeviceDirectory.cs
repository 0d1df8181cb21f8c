namespace FunctionsGateway.Core.Pairing;

/// <summary>The list of paired devices, kept beside each device's own rows so listing never scans.</summary>
public sealed class DeviceDirectory(IDeviceStore devices)
{
    /// <summary>Writes the directory entry, then drops it again if the device was removed meanwhile.</summary>
    public async Task SyncAsync(DeviceRecord device, CancellationToken cancellationToken)
    {
        await devices.UpsertDirectoryAsync(device, cancellationToken);
        if (await devices.GetDeviceAsync(device.DeviceId, cancellationToken) is null)
        {
            await devices.DeleteDirectoryAsync(device.DeviceId, cancellationToken);
        }
    }

    public Task RemoveAsync(string deviceId, CancellationToken cancellationToken) => devices.DeleteDirectoryAsync(deviceId, cancellationToken);

    public async Task<IReadOnlyList<PairedDeviceView>> ListAsync(string? onlyDeviceId, CancellationToken cancellationToken)
        => [.. (await devices.ListDirectoryAsync(onlyDeviceId, cancellationToken)).Select(PairedDeviceView.From)];

    /// <summary>One page in device-id order after <paramref name="after"/>; just the one device when <paramref name="onlyDeviceId"/> is set.</summary>
    public async Task<ListPage<PairedDeviceView>> ListPageAsync(string? onlyDeviceId, int limit, string? after, CancellationToken cancellationToken)
    {
        if (onlyDeviceId is not null)
        {
            return new(await ListAsync(onlyDeviceId, cancellationToken), null);
        }

        var page = await devices.ListDirectoryPageAsync(limit, after, cancellationToken);
        return new([.. page.Items.Select(PairedDeviceView.From)], page.Next);
    }
}
