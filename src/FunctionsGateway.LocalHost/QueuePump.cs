using FunctionsGateway.Hosting;
using FunctionsGateway.Storage;

namespace FunctionsGateway.LocalHost;

/// <summary>
/// A queue trigger for the local host, with the Functions host's semantics: a message is retried until it has been
/// dequeued <c>maxDequeueCount</c> (5, as in host.json) times, then moved to <c>{queue}-poison</c>.
/// </summary>
internal sealed partial class QueuePump(
    GatewayQueues queues,
    IQueueHandler handler,
    TimeSpan retryAfter,
    ILogger<QueuePump> logger)
{
    /// <summary>host.json's <c>extensions.queues.maxDequeueCount</c>; a test keeps the two equal.</summary>
    public const int MaxDequeueCount = QueueDelivery.MaxDequeueCount;

    private static readonly TimeSpan IdleDelay = TimeSpan.FromMilliseconds(200);

    private string QueueName => handler.QueueName;

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            IReadOnlyList<QueuedMessage> batch;
            try
            {
                batch = await queues.ReceiveAsync(QueueName, 16, retryAfter, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex)
            {
                LogPollFailed(logger, ex, QueueName);
                await PauseAsync(TimeSpan.FromSeconds(1), stoppingToken);
                continue;
            }

            if (batch.Count == 0)
            {
                await PauseAsync(IdleDelay, stoppingToken);
                continue;
            }

            await Task.WhenAll(batch.Select(m => ProcessAsync(m, stoppingToken)));
        }
    }

    /// <summary>The poll interval; a stop ends it quietly.</summary>
    private static async Task PauseAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, stoppingToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ProcessAsync(QueuedMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await handler.HandleAsync(new QueueDelivery(message.MessageId, message.Body, message.DequeueCount), cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // A handler's own timeout is a failure like any other; only the pump stopping is not.
            await FailedAsync(message, ex, cancellationToken);
            return;
        }

        try
        {
            await queues.DeleteAsync(QueueName, message, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Handled, but not deleted (its visibility ran out): it comes back and is handled again, which every
            // handler allows; it is never counted as a failure.
            LogPollFailed(logger, ex, QueueName);
        }
    }

    private async Task FailedAsync(QueuedMessage message, Exception ex, CancellationToken cancellationToken)
    {
        if (message.DequeueCount < MaxDequeueCount)
        {
            LogRetry(logger, ex, QueueName, message.MessageId, message.DequeueCount);
            return;
        }

        LogPoisoned(logger, ex, QueueName, message.MessageId, message.DequeueCount);
        try
        {
            await queues.MoveToPoisonAsync(QueueName, message, cancellationToken);
        }
        catch (Exception moveFailed) when (!cancellationToken.IsCancellationRequested)
        {
            // The message reappears and is poisoned again next time; the pump itself must keep running.
            LogPollFailed(logger, moveFailed, QueueName);
        }
    }

    [LoggerMessage(EventId = 900, Level = LogLevel.Error, Message = "queue {Queue}: message {MessageId} moved to the poison queue after {Count} attempts")]
    private static partial void LogPoisoned(ILogger logger, Exception exception, string queue, string messageId, long count);

    [LoggerMessage(EventId = 901, Level = LogLevel.Warning, Message = "queue {Queue}: message {MessageId} failed (attempt {Count}); it will be retried")]
    private static partial void LogRetry(ILogger logger, Exception exception, string queue, string messageId, long count);

    [LoggerMessage(EventId = 902, Level = LogLevel.Warning, Message = "queue {Queue}: poll failed")]
    private static partial void LogPollFailed(ILogger logger, Exception exception, string queue);
}
