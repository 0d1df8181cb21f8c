using System.Text.Json;
using Azure.Storage.Queues;
using FunctionsGateway.Core.Handshake;
using FunctionsGateway.Core.SignalR;
using FunctionsGateway.Core.Storage;
using FunctionsGateway.Protocol;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Core.Transport;

public sealed record CloseConnectionMessage(string ConnectionId, string Reason);

/// <summary>Queues a close with a short visibility delay, so it reaches the client after the response that explains it.</summary>
public sealed class ConnectionCloseScheduler(QueueServiceClient queues, Options.GatewayOptions options)
{
    public QueueClient Queue { get; } = queues.GetQueueClient(StorageNames.CloseQueue);

    public async Task ScheduleAsync(string connectionId, string reason, CancellationToken cancellationToken)
    {
        var message = JsonSerializer.Serialize(new CloseConnectionMessage(connectionId, reason), GatewayJson.Options);
        await Queue.SendMessageAsync(message, visibilityTimeout: options.PairingCloseDelay, cancellationToken: cancellationToken);
    }
}

/// <summary>The queue-triggered half: closes through the service's REST API. Idempotent: closing twice is harmless.</summary>
public sealed partial class CloseConnectionHandler(ISignalRServiceClient service, ConnectionStore connections, ILogger<CloseConnectionHandler> logger)
{
    public async Task HandleAsync(string messageText, CancellationToken cancellationToken)
    {
        CloseConnectionMessage? message;
        try
        {
            message = JsonSerializer.Deserialize<CloseConnectionMessage>(messageText, GatewayJson.Options);
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException("close message is not {connectionId, reason} JSON; it goes to the poison queue", ex);
        }

        if (message is null || string.IsNullOrEmpty(message.ConnectionId))
        {
            throw new InvalidOperationException("close message has no connectionId; it goes to the poison queue");
        }

        await connections.MarkClosedAsync(message.ConnectionId, message.Reason, cancellationToken);
        var result = await service.CloseConnectionAsync(GatewayProtocol.Hub, message.ConnectionId, message.Reason, cancellationToken);
        LogClosed(logger, message.ConnectionId, message.Reason, result);
    }

    [LoggerMessage(EventId = 510, Level = LogLevel.Information, Message = "closed connection {ConnectionId} ({Reason}): {Result}")]
    private static partial void LogClosed(ILogger logger, string connectionId, string reason, SignalROperationResult result);
}
