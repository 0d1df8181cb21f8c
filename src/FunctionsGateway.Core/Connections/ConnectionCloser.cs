using FunctionsGateway.Core.Events;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Core.Connections;

/// <summary>
/// Ends live connections after a committed decision (revocation, removal). The reason is one of
/// <see cref="FunctionsGateway.Protocol.CloseReasons"/>: the service's close lets every client reconnect, so the reason
/// is what tells a client to stay away.
/// </summary>
public sealed partial class ConnectionCloser(IConnectionStore connections, IGatewayNotifier notifier, ILogger<ConnectionCloser> logger)
{
    /// <summary>
    /// Invalidates every connection first (a call racing the close is refused by its one point read), then closes
    /// each through the service; one failed close neither stops the others nor undoes the committed decision.
    /// </summary>
    /// <remarks>
    /// The <c>caller</c>'s connection (whose call made the decision) is invalidated with the rest, but the transport
    /// closes it only after its answer (the handler sets <c>CloseAfterReason</c>), so a device revoking itself still
    /// hears the result.
    /// </remarks>
    public async Task<int> CloseAsync(IReadOnlyList<string> connectionIds, string reason, CancellationToken cancellationToken, string? caller = null)
    {
        foreach (var id in connectionIds)
        {
            await connections.MarkClosedAsync(id, reason, cancellationToken);
        }

        foreach (var id in connectionIds.Where(id => id != caller))
        {
            try
            {
                await notifier.CloseConnectionAsync(id, reason, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogCloseFailed(logger, ex, id);
            }
        }

        return connectionIds.Count;
    }

    [LoggerMessage(EventId = 210, Level = LogLevel.Error, Message = "connection {ConnectionId} is marked closed but the service close failed")]
    private static partial void LogCloseFailed(ILogger logger, Exception exception, string connectionId);
}
