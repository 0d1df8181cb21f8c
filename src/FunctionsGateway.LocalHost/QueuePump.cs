using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace FunctionsGateway.LocalHost;

/// <summary>
/// A queue trigger for the local host, with the Functions host's semantics: a message is retried until it has been
/// dequeued <c>maxDequeueCount</c> (5) times, then moved to <c>{queue}-poison</c>.
/// </summary>
internal sealed partial class QueuePump(
    QueueServiceClient queues,
    string queueName,
    TimeSpan retryAfter,
    Func<IServiceProvider, string, CancellationToken, Task> handler,
    IServiceProvider services,
    ILogger<QueuePump> logger) : BackgroundService
{
    private const int MaxDequeueCount = 5;
    private static readonly TimeSpan IdleDelay = TimeSpan.FromMilliseconds(200);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queue = queues.GetQueueClient(queueName);
        var poison = queues.GetQueueClient(queueName + "-poison");
        await queue.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
        await poison.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            QueueMessage[] batch;
            try
            {
                batch = (await queue.ReceiveMessagesAsync(16, retryAfter, stoppingToken)).Value;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex)
            {
                LogPollFailed(logger, ex, queueName);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                continue;
            }

            if (batch.Length == 0)
            {
                await Task.Delay(IdleDelay, stoppingToken);
                continue;
            }

            await Task.WhenAll(batch.Select(m => ProcessAsync(queue, poison, m, stoppingToken)));
        }
    }

    private async Task ProcessAsync(QueueClient queue, QueueClient poison, QueueMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await handler(services, message.Body.ToString(), cancellationToken);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (message.DequeueCount < MaxDequeueCount)
            {
                LogRetry(logger, ex, queueName, message.MessageId, message.DequeueCount);
                return;
            }

            LogPoisoned(logger, ex, queueName, message.MessageId, message.DequeueCount);
            try
            {
                await poison.SendMessageAsync(message.Body, cancellationToken: cancellationToken);
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
            }
            catch (Exception moveFailed) when (moveFailed is not OperationCanceledException)
            {
                // The message reappears and is poisoned again next time; the pump itself must keep running.
                LogPollFailed(logger, moveFailed, queueName);
            }
        }
    }

    [LoggerMessage(EventId = 900, Level = LogLevel.Error, Message = "queue {Queue}: message {MessageId} moved to the poison queue after {Count} attempts")]
    private static partial void LogPoisoned(ILogger logger, Exception exception, string queue, string messageId, long count);

    [LoggerMessage(EventId = 901, Level = LogLevel.Warning, Message = "queue {Queue}: message {MessageId} failed (attempt {Count}); it will be retried")]
    private static partial void LogRetry(ILogger logger, Exception exception, string queue, string messageId, long count);

    [LoggerMessage(EventId = 902, Level = LogLevel.Warning, Message = "queue {Queue}: poll failed")]
    private static partial void LogPollFailed(ILogger logger, Exception exception, string queue);
}
