using FunctionsGateway.Core.Options;
using FunctionsGateway.Hosting;
using FunctionsGateway.Storage;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsGateway.Functions;

/// <summary>Performs a queued policy close (e.g. "pairing required") after the response that explains it.</summary>
public sealed class CloseConnectionFunction(CloseConnectionQueueHandler handler)
{
    [Function(nameof(CloseConnectionFunction))]
    public Task Run(
        [QueueTrigger(StorageNames.CloseQueue, Connection = SettingNames.Storage)] string message,
        FunctionContext context,
        CancellationToken cancellationToken)
        => handler.HandleAsync(QueueDeliveries.From(message, context), cancellationToken);
}
