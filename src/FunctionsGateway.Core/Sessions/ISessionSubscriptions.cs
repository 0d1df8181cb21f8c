namespace FunctionsGateway.Core.Sessions;

/// <summary>Who receives a session's events: the transport keeps one group per session.</summary>
public interface ISessionSubscriptions
{
    Task SubscribeAsync(string connectionId, string sessionKey, CancellationToken cancellationToken);

    Task UnsubscribeAsync(string connectionId, string sessionKey, CancellationToken cancellationToken);
}

/// <summary>Used when no transport is attached: subscriptions go nowhere.</summary>
public sealed class NullSessionSubscriptions : ISessionSubscriptions
{
    public Task SubscribeAsync(string connectionId, string sessionKey, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task UnsubscribeAsync(string connectionId, string sessionKey, CancellationToken cancellationToken) => Task.CompletedTask;
}
