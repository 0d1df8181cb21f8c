using System.Text.Json;
using FunctionsGateway.Core.SubAgents;

namespace FunctionsGateway.Storage;

/// <summary>Accepted spawns on <see cref="StorageNames.SpawnQueue"/>, one <see cref="SpawnRequest"/> as JSON per message, visible at once.</summary>
public sealed class SpawnQueue : ISpawnQueue
{
    private const string What = "spawn";

    private readonly GatewayQueues queues;
    private readonly string queueName;

    public SpawnQueue(GatewayQueues queues)
        : this(queues, StorageNames.SpawnQueue)
    {
    }

    /// <summary>On another queue (tests).</summary>
    internal SpawnQueue(GatewayQueues queues, string queueName)
    {
        this.queues = queues;
        this.queueName = queueName;
    }

    public Task EnqueueAsync(SpawnRequest request, CancellationToken cancellationToken)
        => queues.SendAsync(queueName, Serialize(request), TimeSpan.Zero, cancellationToken);

    public static string Serialize(SpawnRequest request) => JsonSerializer.Serialize(request, QueueJson.Options);

    /// <summary>The request a message carries; a <see cref="FormatException"/> when it is not JSON of one or lacks a required field.</summary>
    public static SpawnRequest Parse(string message)
    {
        var request = QueueJson.Read<SpawnRequest>(message, What);
        QueueJson.Require(request.RunId, What, "runId");
        QueueJson.Require(request.RequesterSessionKey, What, "requesterSessionKey");
        QueueJson.Require(request.ChildSessionKey, What, "childSessionKey");
        QueueJson.Require(request.AgentId, What, "agentId");
        QueueJson.Require(request.Task, What, "task");
        QueueJson.Require(request.Cleanup, What, "cleanup");
        QueueJson.Require(request.RequestedBy, What, "requestedBy");
        return request;
    }
}
