using System.Collections.Concurrent;
using FunctionsGateway.Core.Events;

namespace FunctionsGateway.IntegrationTests.Infrastructure;

public sealed record PublishedEvent(EventAudience Audience, string Name, object Payload);

/// <summary>Captures what the core asks the transport to do.</summary>
public sealed class RecordingNotifier : IGatewayNotifier
{
    public ConcurrentQueue<PublishedEvent> Events { get; } = new();
    public ConcurrentQueue<(string ConnectionId, string Reason)> Closed { get; } = new();
    public ConcurrentQueue<AdmittedConnection> Admitted { get; } = new();

    public Task ConnectionAdmittedAsync(AdmittedConnection connection, CancellationToken cancellationToken)
    {
        Admitted.Enqueue(connection);
        return Task.CompletedTask;
    }

    public Task PublishAsync(EventAudience audience, string eventName, object payload, CancellationToken cancellationToken)
    {
        Events.Enqueue(new PublishedEvent(audience, eventName, payload));
        return Task.CompletedTask;
    }

    public Task CloseConnectionAsync(string connectionId, string reason, CancellationToken cancellationToken)
    {
        Closed.Enqueue((connectionId, reason));
        return Task.CompletedTask;
    }
}
