namespace FunctionsGateway.Hosting;

/// <summary>One delivery of a queue message: its text, and how many times it has been dequeued, this time included.</summary>
public sealed record QueueDelivery(string MessageId, string Body, long DequeueCount)
{
    /// <summary>host.json's <c>extensions.queues.maxDequeueCount</c>: after this many failures the message is poisoned.</summary>
    public const int MaxDequeueCount = 5;

    /// <summary>If this attempt fails, the message goes to the poison queue.</summary>
    public bool IsLastAttempt => DequeueCount >= MaxDequeueCount;
}

/// <summary>
/// Work that arrives on a queue. Each one registered here is pumped by the local host and has a queue-triggered
/// Function of the same queue in the Function App; a test keeps the two in step.
/// </summary>
public interface IQueueHandler
{
    string QueueName { get; }

    /// <summary>Handles one delivery; throwing leaves it for a retry, and after the last one the poison queue.</summary>
    Task HandleAsync(QueueDelivery delivery, CancellationToken cancellationToken);
}
