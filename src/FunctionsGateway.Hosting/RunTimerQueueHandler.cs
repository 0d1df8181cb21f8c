using FunctionsGateway.Core.Runs;
using FunctionsGateway.Core.SubAgents;
using FunctionsGateway.Storage;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Hosting;

/// <summary>The run timers: lapsed offers, deadlines, and the announcement and cleanup after a sub-agent's run.</summary>
public sealed partial class RunTimerQueueHandler(RunService runs, SubAgentCompletion completion, ILogger<RunTimerQueueHandler> logger) : IQueueHandler
{
    public string QueueName => StorageNames.RunsQueue;

    public async Task HandleAsync(QueueDelivery delivery, CancellationToken cancellationToken)
    {
        RunTimer timer;
        try
        {
            timer = RunTimerQueue.Parse(delivery.Body);
        }
        catch (FormatException ex)
        {
            LogMalformed(logger, ex, delivery.MessageId, delivery.DequeueCount);
            throw;
        }

        if (timer.Kind == RunTimerKind.Finished)
        {
            await completion.HandleFinishedAsync(timer.RunId, cancellationToken);
        }
        else
        {
            await runs.HandleTimerAsync(timer, cancellationToken);
        }
    }

    [LoggerMessage(EventId = 531, Level = LogLevel.Warning, Message = "run timer message {MessageId} is malformed (attempt {Count}); it will end in the poison queue")]
    private static partial void LogMalformed(ILogger logger, Exception exception, string messageId, long count);
}
