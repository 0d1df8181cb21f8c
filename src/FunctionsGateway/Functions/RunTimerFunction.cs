using FunctionsGateway.Core.Options;
using FunctionsGateway.Hosting;
using FunctionsGateway.Storage;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsGateway.Functions;

/// <summary>Run timers (lapsed offers, deadlines) and the announcement of a sub-agent's end: delayed queue messages, as no process lives on.</summary>
public sealed class RunTimerFunction(RunTimerQueueHandler handler)
{
    [Function(nameof(RunTimerFunction))]
    public Task Run(
        [QueueTrigger(StorageNames.RunsQueue, Connection = SettingNames.Storage)] string message,
        FunctionContext context,
        CancellationToken cancellationToken)
        => handler.HandleAsync(QueueDeliveries.From(message, context), cancellationToken);
}
