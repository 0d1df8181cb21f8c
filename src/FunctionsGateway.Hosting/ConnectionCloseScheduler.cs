using System.Text.Json;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Protocol;
using FunctionsGateway.Storage;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Hosting;

public sealed record CloseConnectionMessage(string ConnectionId, string Reason);

/// <summary>
/// Queues a close with a short visibility delay, so it reaches the client after the response that explains it. The
/// reason is one of <see cref="CloseReasons"/> (docs/protocol.md §4.8): what the client should do next.
/// </summary>
public sealed class ConnectionCloseScheduler(GatewayQueues queues, IOptions<GatewayOptions> options)
{
    public async Task ScheduleAsync(string connectionId, string reason, CancellationToken cancellationToken)
    {
        var message = JsonSerializer.Serialize(new CloseConnectionMessage(connectionId, reason), GatewayJson.Options);
        await queues.SendAsync(StorageNames.CloseQueue, message, options.Value.PairingCloseDelay, cancellationToken);
    }
}
