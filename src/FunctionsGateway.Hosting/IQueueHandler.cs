namespace FunctionsGateway.Hosting;

/// <summary>
/// Work that arrives on a queue. Each one registered here is pumped by the local host and has a queue-triggered
/// Function of the same queue in the Function App; a test keeps the two in step.
/// </summary>
public interface IQueueHandler
{
    string QueueName { get; }

    /// <summary>Handles one message; throwing leaves it for a retry, and after the last one the poison queue.</summary>
    Task HandleAsync(string message, CancellationToken cancellationToken);
}
