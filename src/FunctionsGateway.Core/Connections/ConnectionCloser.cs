using FunctionsGateway.Core.Events;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Core.Connections;

/// <summary>Ends live connections after a committed decision (revocation, removal).</summary>
public sealed partial class ConnectionCloser(IConnectionStore connections, IGatewayNotifier notifier, ILogger<ConnectionCloser> logger)
{
    /// <summary>
    /// Invalidates every connection first (a call racing the close is refused by its one point read), then closes
    /// each through the service; one failed close neither stops the others nor undoes the committed decision.
    /// </summary>
    public async Task<int> CloseAsync(IReadOnlyList<string> connectionIds, string reason, CancellationToken cancellationToken)
    {
        foreach (var id in connectionIds)
        {
            await connections.MarkClosedAsync(id, reason, cancellationToken);
        }

        foreach (var id in connectionIds)
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
