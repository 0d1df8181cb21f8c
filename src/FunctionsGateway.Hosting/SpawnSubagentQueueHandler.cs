using FunctionsGateway.Core.SubAgents;
using FunctionsGateway.Storage;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Hosting;

/// <summary>The spawn queue: one accepted <c>sessions.spawn</c> per message, run by <see cref="SubAgentSpawner"/>.</summary>
public sealed partial class SpawnSubagentQueueHandler(SubAgentSpawner spawner, ILogger<SpawnSubagentQueueHandler> logger) : IQueueHandler
{
    public string QueueName => StorageNames.SpawnQueue;

    public async Task HandleAsync(QueueDelivery delivery, CancellationToken cancellationToken)
    {
        SpawnRequest request;
        try
        {
            request = SpawnQueue.Parse(delivery.Body);
        }
        catch (FormatException ex)
        {
            // Nothing was reserved for a message nobody can read: it is retried, then poisoned, and changes nothing.
            LogMalformed(logger, ex, delivery.MessageId, delivery.DequeueCount);
            throw;
        }

        await spawner.SpawnAsync(request, delivery.IsLastAttempt, cancellationToken);
    }

    [LoggerMessage(EventId = 530, Level = LogLevel.Warning, Message = "spawn message {MessageId} is malformed (attempt {Count}); it will end in the poison queue")]
    private static partial void LogMalformed(ILogger logger, Exception exception, string messageId, long count);
}
