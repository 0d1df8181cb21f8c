namespace FunctionsGateway.Core.Events;

/// <summary>Used when no transport is attached (tools, tests of storage alone): events go nowhere.</summary>
public sealed class NullGatewayNotifier : IGatewayNotifier
{
    public Task ConnectionAdmittedAsync(AdmittedConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task PublishAsync(EventAudience audience, string eventName, object payload, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task CloseConnectionAsync(string connectionId, string reason, CancellationToken cancellationToken) => Task.CompletedTask;
}
