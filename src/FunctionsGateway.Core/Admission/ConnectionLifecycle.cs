using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Pairing;

namespace FunctionsGateway.Core.Admission;

/// <summary>Forgets a connection when the service reports it gone, so its rows (and a worker's offers) do not outlive it.</summary>
public sealed class ConnectionLifecycle(IConnectionStore connections, IDeviceStore devices, IEnumerable<IConnectionObserver> observers)
{
    public async Task DisconnectedAsync(string connectionId, CancellationToken cancellationToken)
    {
        var row = await connections.GetAsync(connectionId, cancellationToken);
        if (row?.DeviceId is { } deviceId)
        {
            await devices.RemoveConnectionAsync(deviceId, connectionId, cancellationToken);
            foreach (var observer in observers)
            {
                await observer.GoneAsync(row, cancellationToken);
            }
        }

        await connections.DeleteAsync(connectionId, cancellationToken);
    }
}
