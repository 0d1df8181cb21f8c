namespace FunctionsGateway.Core.Pairing;

/// <summary>The list of paired devices, kept beside each device's own rows so listing never scans.</summary>
public sealed class DeviceDirectory(IDeviceStore devices)
{
    /// <summary>Device partitions a list page reads at once.</summary>
    private const int DetailReadsAtOnce = 8;

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

    /// <summary>
    /// One page in device-id order after <paramref name="after"/>; just the one device when <paramref name="onlyDeviceId"/>
    /// is set. With <paramref name="details"/> each listed device's partition is read once (a few at a time) for its last
    /// use, tokens and connections: those live only there, so the handshake's one device batch keeps them current
    /// without touching the directory, and a list that does not ask for them costs one query.
    /// </summary>
    public async Task<ListPage<PairedDeviceView>> ListPageAsync(string? onlyDeviceId, int limit, string? after, bool details, CancellationToken cancellationToken)
    {
        var page = onlyDeviceId is not null
            ? new ListPage<DeviceRecord>(await devices.ListDirectoryAsync(onlyDeviceId, cancellationToken), null)
            : await devices.ListDirectoryPageAsync(limit, after, cancellationToken);
        return new(details ? await DetailAsync(page.Items, cancellationToken) : [.. page.Items.Select(PairedDeviceView.From)], page.Next);
    }

    /// <summary>A directory entry whose device was removed meanwhile is left out.</summary>
    private async Task<IReadOnlyList<PairedDeviceView>> DetailAsync(IReadOnlyList<DeviceRecord> entries, CancellationToken cancellationToken)
    {
        var views = new PairedDeviceView?[entries.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = DetailReadsAtOnce, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, entries.Count), parallel, async (i, token) =>
        {
            var rows = await devices.ReadAllAsync(entries[i].DeviceId, token);
            views[i] = rows.Device is { } device ? PairedDeviceView.From(device, rows) : null;
        });
        return [.. views.OfType<PairedDeviceView>()];
    }
}
