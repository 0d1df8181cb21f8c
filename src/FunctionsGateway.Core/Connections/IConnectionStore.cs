namespace FunctionsGateway.Core.Connections;

/// <summary>Connection rows keyed by connection id: one point read per admitted call, no writes.</summary>
public interface IConnectionStore
{
    Task<ConnectionRecord?> GetAsync(string connectionId, CancellationToken cancellationToken);

    /// <summary>
    /// Stores a fresh challenge, replacing <paramref name="existing"/> under its version (or adding one when it is
    /// null). False when someone else changed the row first.
    /// </summary>
    Task<bool> TryIssueChallengeAsync(ConnectionRecord? existing, string connectionId, string nonce, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>Writes <paramref name="row"/> under the version it was read with and refreshes that version. False on a lost race.</summary>
    Task<bool> TryReplaceAsync(ConnectionRecord row, CancellationToken cancellationToken);

    /// <summary>Marks a connection closed, unconditionally, so any call already in flight on it is refused.</summary>
    Task MarkClosedAsync(string connectionId, string reason, CancellationToken cancellationToken);

    Task DeleteAsync(string connectionId, CancellationToken cancellationToken);
}
