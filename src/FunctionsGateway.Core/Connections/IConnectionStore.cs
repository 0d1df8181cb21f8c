namespace FunctionsGateway.Core.Connections;

/// <summary>Connection rows keyed by connection id: one point read per admitted call, no writes.</summary>
public interface IConnectionStore
{
    Task<ConnectionRecord?> GetAsync(string connectionId, CancellationToken cancellationToken);

    /// <summary>Adds <paramref name="row"/> if the connection has no row yet and sets its version. False when it has one.</summary>
    Task<bool> TryAddAsync(ConnectionRecord row, CancellationToken cancellationToken);

    /// <summary>Writes <paramref name="row"/> under the version it was read with and refreshes that version. False on a lost race.</summary>
    Task<bool> TryReplaceAsync(ConnectionRecord row, CancellationToken cancellationToken);

    /// <summary>Marks a connection closed, unconditionally, so any call already in flight on it is refused.</summary>
    Task MarkClosedAsync(string connectionId, string reason, CancellationToken cancellationToken);

    Task DeleteAsync(string connectionId, CancellationToken cancellationToken);

    /// <summary>
    /// Rows of this gateway's service (<see cref="ConnectionScope"/>) last written before <paramref name="writtenBefore"/>,
    /// in connection-id order from just after <paramref name="afterConnectionId"/>: one filtered query, read page by page,
    /// so rows written since then are never returned (nor paid for beyond the scan). Nothing without a scope.
    /// </summary>
    IAsyncEnumerable<ConnectionRecord> ListIdleAsync(DateTimeOffset writtenBefore, string? afterConnectionId, CancellationToken cancellationToken);

    /// <summary>Deletes the row only if it is unchanged since it was read (its version); false if it changed or is gone.</summary>
    Task<bool> TryDeleteAsync(ConnectionRecord row, CancellationToken cancellationToken);
}
