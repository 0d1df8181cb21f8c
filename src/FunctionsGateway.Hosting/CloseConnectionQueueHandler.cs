using System.Text.Json;
using FunctionsGateway.Core.Connections;
using FunctionsGateway.Protocol;
using FunctionsGateway.SignalR.Serverless;
using FunctionsGateway.Storage;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Hosting;

/// <summary>
/// The queue-triggered half of a deferred close: closes through the service's REST API with the reason, which the
/// client receives as the close message's error (with <c>allowReconnect: true</c>: the REST API cannot say otherwise).
/// Closing twice is harmless.
/// </summary>
public sealed partial class CloseConnectionQueueHandler(ISignalRServiceClient service, IConnectionStore connections, ILogger<CloseConnectionQueueHandler> logger)
    : IQueueHandler
{
    public string QueueName => StorageNames.CloseQueue;

    public async Task HandleAsync(QueueDelivery delivery, CancellationToken cancellationToken)
    {
        CloseConnectionMessage? close;
        try
        {
            close = JsonSerializer.Deserialize<CloseConnectionMessage>(delivery.Body, GatewayJson.Options);
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException("close message is not {connectionId, reason} JSON; it goes to the poison queue", ex);
        }

        if (close is null || string.IsNullOrEmpty(close.ConnectionId))
        {
            throw new InvalidOperationException("close message has no connectionId; it goes to the poison queue");
        }

        await connections.MarkClosedAsync(close.ConnectionId, close.Reason, cancellationToken);
        var result = await service.CloseConnectionAsync(GatewayProtocol.Hub, close.ConnectionId, close.Reason, cancellationToken);
        LogClosed(logger, close.ConnectionId, close.Reason, CloseReasons.Classify(close.Reason), result);
    }

    [LoggerMessage(EventId = 510, Level = LogLevel.Information, Message = "closed connection {ConnectionId} ({Reason}; the client should {Disposition}): {Result}")]
    private static partial void LogClosed(ILogger logger, string connectionId, string reason, CloseDisposition disposition, SignalROperationResult result);
}
