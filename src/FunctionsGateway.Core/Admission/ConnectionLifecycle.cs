using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Pairing;

namespace FunctionsGateway.Core.Admission;

/// <summary>Forgets a connection when the service reports it gone, so its rows (and a worker's offers) do not outlive it.</summary>
public sealed class ConnectionLifecycle(IConnectionStore connections, IDeviceStore devices, IEnumerable<IConnectionObserver> observers)
{
    public async Task DisconnectedAsync(string connectionId, CancellationToken cancellationToken)
    {
        var row = await connections.GetAsync(connectionId, cancellationToken);
        if (row is not null)
        {
            await ForgetAsync(row, cancellationToken);
        }

        await connections.DeleteAsync(connectionId, cancellationToken);
    }

    /// <summary>
    /// What a lost disconnect event would have done, for a row the sweep found stale: the device's index entry and the
    /// observers (a worker's runs fail or are offered again) first, the row last and only if it is unchanged since
    /// <paramref name="row"/> was read, so an interrupted removal is redone whole by the next sweep. True when this call
    /// removed the row; false when it changed meanwhile or someone else removed it first.
    /// </summary>
    public async Task<bool> RemoveStaleAsync(ConnectionRecord row, CancellationToken cancellationToken)
    {
        await ForgetAsync(row, cancellationToken);
        return await connections.TryDeleteAsync(row, cancellationToken);
    }

    private async Task ForgetAsync(ConnectionRecord row, CancellationToken cancellationToken)
    {
        if (row.DeviceId is not { } deviceId)
        {
            return;
        }

        await devices.RemoveConnectionAsync(deviceId, row.ConnectionId, cancellationToken);
        foreach (var observer in observers)
        {
            await observer.GoneAsync(row, cancellationToken);
        }
    }
}
