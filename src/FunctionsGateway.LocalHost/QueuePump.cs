using FunctionsGateway.Core.Resilience;
using FunctionsGateway.Hosting;
using FunctionsGateway.Storage;

namespace FunctionsGateway.LocalHost;

/// <summary>
/// A queue trigger for the local host, with the Functions host's semantics: a message is retried until it has been
/// dequeued <c>maxDequeueCount</c> (5, as in host.json) times, then moved to <c>{queue}-poison</c>. A storage stall is
/// a retry, never a poisoning: the message comes back when storage does, and an outage is logged once, not per poll.
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

    /// <summary>Set while polls fail with storage unavailable, so an outage logs when it starts and when it ends.</summary>
    private bool storageDown;

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
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (StorageUnavailableException ex)
            {
                if (!storageDown)
                {
                    storageDown = true;
                    LogStorageDown(logger, QueueName, ex.Message);
                }

                await PauseAsync(TimeSpan.FromSeconds(1), stoppingToken);
                continue;
            }
            catch (Exception ex)
            {
                LogPollFailed(logger, ex, QueueName);
                await PauseAsync(TimeSpan.FromSeconds(1), stoppingToken);
                continue;
            }

            if (storageDown)
            {
                storageDown = false;
                LogStorageBack(logger, QueueName);
            }

            if (batch.Count == 0)
            {
                await PauseAsync(IdleDelay, stoppingToken);
                continue;
            }

            try
            {
                await Task.WhenAll(batch.Select(m => ProcessAsync(m, stoppingToken)));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping mid-batch: what was not deleted comes back and is handled again, which every handler allows.
                return;
            }
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
        catch (StorageUnavailableException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Storage stalled under the handler: the message reappears after its visibility timeout and is tried again;
            // poisoning it now would lose work to a fault of the moment (and would most likely fail as well).
            LogStalled(logger, QueueName, message.MessageId, message.DequeueCount, ex.Message);
            return;
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
            // Handled, but not deleted (its visibility ran out, or storage stalled): it comes back and is handled again,
            // which every handler allows; it is never counted as a failure.
            LogNotDeleted(logger, QueueName, message.MessageId, ex.GetType().Name, ex.Message);
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

    [LoggerMessage(EventId = 903, Level = LogLevel.Warning, Message = "queue {Queue}: storage unavailable, polling on until it answers ({Reason})")]
    private static partial void LogStorageDown(ILogger logger, string queue, string reason);

    [LoggerMessage(EventId = 904, Level = LogLevel.Information, Message = "queue {Queue}: storage answers again")]
    private static partial void LogStorageBack(ILogger logger, string queue);

    [LoggerMessage(EventId = 905, Level = LogLevel.Warning, Message = "queue {Queue}: message {MessageId} (attempt {Count}) met a storage stall; it will be retried ({Reason})")]
    private static partial void LogStalled(ILogger logger, string queue, string messageId, long count, string reason);

    [LoggerMessage(EventId = 906, Level = LogLevel.Warning, Message = "queue {Queue}: message {MessageId} was handled but not deleted; it will be handled again ({Fault}: {Reason})")]
    private static partial void LogNotDeleted(ILogger logger, string queue, string messageId, string fault, string reason);
}
