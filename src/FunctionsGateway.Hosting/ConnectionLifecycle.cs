using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Pairing;

namespace FunctionsGateway.Hosting;

/// <summary>Forgets a connection when the service reports it gone, so its rows do not outlive it.</summary>
public sealed class ConnectionLifecycle(IConnectionStore connections, IDeviceStore devices)
{
    public async Task DisconnectedAsync(string connectionId, CancellationToken cancellationToken)
    {
        var row = await connections.GetAsync(connectionId, cancellationToken);
        if (row?.DeviceId is { } deviceId)
        {
            await devices.RemoveConnectionAsync(deviceId, connectionId, cancellationToken);
        }

        await connections.DeleteAsync(connectionId, cancellationToken);
    }
}
