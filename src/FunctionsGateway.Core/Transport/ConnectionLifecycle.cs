using FunctionsGateway.Core.Handshake;
using FunctionsGateway.Core.Pairing;

namespace FunctionsGateway.Core.Transport;

/// <summary>Forgets a connection when the service reports it gone, so its rows do not outlive it.</summary>
public sealed class ConnectionLifecycle(ConnectionStore connections, DeviceStore devices)
{
    public async Task DisconnectedAsync(string connectionId, CancellationToken cancellationToken)
    {
        var row = await connections.GetAsync(connectionId, cancellationToken);
        if (row?.DeviceId is { } deviceId)
        {
            await devices.RemoveConnectionIndexAsync(deviceId, connectionId, cancellationToken);
        }

        await connections.DeleteAsync(connectionId, cancellationToken);
    }
}
