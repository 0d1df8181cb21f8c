using FunctionsGateway.Core.Connections;
using FunctionsGateway.Protocol;
using FunctionsGateway.SignalR.Serverless;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Hosting;

/// <summary>
/// Asks the SignalR service whether it still holds a connection (<c>HEAD …/connections/{id}</c>: 200 yes, 404 no;
/// docs/protocol.md §6.3). Any other outcome (unreachable, refused, 5xx after the client's retries) is
/// <see cref="ConnectionPresence.Unknown"/>, so a service fault never removes a row.
/// </summary>
public sealed partial class SignalRConnectionPresence(ISignalRServiceClient service, ILogger<SignalRConnectionPresence> logger) : IConnectionPresence
{
    public async Task<ConnectionPresence> CheckAsync(string connectionId, CancellationToken cancellationToken)
    {
        try
        {
            return await service.ConnectionExistsAsync(GatewayProtocol.Hub, connectionId, cancellationToken)
                ? ConnectionPresence.Present
                : ConnectionPresence.Gone;
        }
        catch (Exception ex) when (ex is SignalRServiceException or HttpRequestException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogUnanswered(logger, connectionId, ex.GetType().Name, ex.Message);
            return ConnectionPresence.Unknown;
        }
    }

    [LoggerMessage(EventId = 1168, Level = LogLevel.Debug, Message = "the service did not say whether connection {ConnectionId} exists: {Kind}: {Reason}")]
    private static partial void LogUnanswered(ILogger logger, string connectionId, string kind, string reason);
}
