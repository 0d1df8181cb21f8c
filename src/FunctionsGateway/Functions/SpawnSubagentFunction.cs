using FunctionsGateway.Core.Options;
using FunctionsGateway.Hosting;
using FunctionsGateway.Storage;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsGateway.Functions;

/// <summary>Creates a sub-agent for one accepted <c>sessions.spawn</c>: identity, silent first pairing, child session, run.</summary>
public sealed class SpawnSubagentFunction(SpawnSubagentQueueHandler handler)
{
    [Function(nameof(SpawnSubagentFunction))]
    public Task Run(
        [QueueTrigger(StorageNames.SpawnQueue, Connection = SettingNames.Storage)] string message,
        FunctionContext context,
        CancellationToken cancellationToken)
        => handler.HandleAsync(QueueDeliveries.From(message, context), cancellationToken);
}
