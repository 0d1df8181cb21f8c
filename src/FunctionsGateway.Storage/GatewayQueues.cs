using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace FunctionsGateway.Storage;

/// <summary>One received queue message, as a handler and the local pump see it.</summary>
public sealed record QueuedMessage(string MessageId, string PopReceipt, string Body, long DequeueCount);

/// <summary>
/// The gateway's queues, each with its <c>-poison</c> twin (the Functions host's naming). Messages are Base64, as
/// the Functions queue trigger expects.
/// </summary>
public sealed class GatewayQueues(QueueServiceClient service)
{
    public const string PoisonSuffix = "-poison";

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken = default)
    {
        foreach (var name in StorageNames.AllQueues)
        {
            await service.GetQueueClient(name).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await service.GetQueueClient(name + PoisonSuffix).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }
    }

    /// <summary>Sends a message that becomes visible after <paramref name="delay"/>.</summary>
    public async Task SendAsync(string queue, string message, TimeSpan delay, CancellationToken cancellationToken)
        => await service.GetQueueClient(queue).SendMessageAsync(message, visibilityTimeout: delay, cancellationToken: cancellationToken);

    public async Task<IReadOnlyList<QueuedMessage>> ReceiveAsync(string queue, int max, TimeSpan visibility, CancellationToken cancellationToken)
    {
        QueueMessage[] batch = (await service.GetQueueClient(queue).ReceiveMessagesAsync(max, visibility, cancellationToken)).Value;
        return [.. batch.Select(m => new QueuedMessage(m.MessageId, m.PopReceipt, m.Body.ToString(), m.DequeueCount))];
    }

    public async Task DeleteAsync(string queue, QueuedMessage message, CancellationToken cancellationToken)
        => await service.GetQueueClient(queue).DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);

    /// <summary>Copies the message to the poison queue, then deletes it: at worst it is poisoned twice, never lost.</summary>
    public async Task MoveToPoisonAsync(string queue, QueuedMessage message, CancellationToken cancellationToken)
    {
        await service.GetQueueClient(queue + PoisonSuffix).SendMessageAsync(message.Body, cancellationToken: cancellationToken);
        await DeleteAsync(queue, message, cancellationToken);
    }

    /// <summary>Approximate count of waiting messages (tests and diagnostics).</summary>
    public async Task<int> CountAsync(string queue, CancellationToken cancellationToken)
        => (await service.GetQueueClient(queue).GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount;

    /// <summary>Peeks waiting messages without taking them (tests and diagnostics).</summary>
    public async Task<IReadOnlyList<string>> PeekAsync(string queue, int max, CancellationToken cancellationToken)
        => [.. (await service.GetQueueClient(queue).PeekMessagesAsync(max, cancellationToken)).Value.Select(m => m.Body.ToString())];
}
