namespace FunctionsGateway.Core.Pairing;

/// <summary>One page of a list, and the opaque position after it (null on the last page).</summary>
public sealed record ListPage<T>(IReadOnlyList<T> Items, string? Next);

/// <summary>
/// Pending requests by request id, so approvals resolve and lists run without a scan; and decided requests, for a while,
/// so a late second decision learns the request was already resolved.
/// </summary>
public interface IPairingRequestIndex
{
    Task AddAsync(PendingRequestRecord request, CancellationToken cancellationToken);

    /// <summary>The indexed request (its device and summary fields, with the index row's version), or null.</summary>
    Task<PendingRequestRecord?> FindAsync(string requestId, CancellationToken cancellationToken);

    Task DeleteAsync(string requestId, CancellationToken cancellationToken);

    /// <summary>Deletes the index row under the version it was read with; false when it changed or was already gone.</summary>
    Task<bool> TryDeleteAsync(PendingRequestRecord indexed, CancellationToken cancellationToken);

    /// <summary>
    /// Requests unexpired at <paramref name="now"/>, in request-id order after <paramref name="after"/>, at most
    /// <paramref name="limit"/>; optionally of one device. <see cref="ListPage{T}.Next"/> is the last id when there may be more.
    /// </summary>
    Task<ListPage<PendingRequestRecord>> ListLiveAsync(DateTimeOffset now, int limit, string? after, string? onlyDeviceId, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="max"/> index rows expired at <paramref name="now"/>, for the sweep.</summary>
    Task<IReadOnlyList<PendingRequestRecord>> ListExpiredAsync(DateTimeOffset now, int max, CancellationToken cancellationToken);

    /// <summary>Remembers a decision (insert or replace).</summary>
    Task MarkResolvedAsync(ResolvedRequestRecord resolved, CancellationToken cancellationToken);

    Task<ResolvedRequestRecord?> FindResolvedAsync(string requestId, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="max"/> decisions made before <paramref name="before"/>, for the sweep.</summary>
    Task<IReadOnlyList<ResolvedRequestRecord>> ListResolvedBeforeAsync(DateTimeOffset before, int max, CancellationToken cancellationToken);

    /// <summary>Deletes a remembered decision under its version; false when it changed or was already gone.</summary>
    Task<bool> TryDeleteResolvedAsync(ResolvedRequestRecord resolved, CancellationToken cancellationToken);
}
