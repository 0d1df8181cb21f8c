namespace FunctionsGateway.Core.Pairing;

/// <summary>One counted pending request: its id and when it stops counting.</summary>
public readonly record struct LedgerEntry(string RequestId, DateTimeOffset ExpiresAt);

/// <summary>
/// The pending requests counted under one scope (the whole gateway, or one client address), kept in one row so a cap
/// is checked with a point read and enforced with one conditional write: no scan, no lost update.
/// </summary>
public sealed class PendingLedgerRow
{
    public string Scope { get; init; } = string.Empty;

    public List<LedgerEntry> Entries { get; init; } = [];

    /// <summary>Start of the current minute of <c>device.pair.requested</c> announcements (gateway row only).</summary>
    public DateTimeOffset WindowStart { get; set; }

    public int WindowEvents { get; set; }

    /// <summary>The store's opaque version (an ETag); null for a row that is not stored yet.</summary>
    public string? Version { get; set; }
}

public interface IPendingLedger
{
    /// <summary>The row of <paramref name="scope"/>; an empty one with a null version when none is stored.</summary>
    Task<PendingLedgerRow> ReadAsync(string scope, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the rows in one atomic commit, each under the version it was read with (added when that is null). A row
    /// left with no entries and no announcements is deleted instead. False when any row changed meanwhile: nothing was written.
    /// </summary>
    Task<bool> TryCommitAsync(IReadOnlyList<PendingLedgerRow> rows, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="max"/> address rows whose every entry expired by <paramref name="now"/>, for the sweep.</summary>
    Task<IReadOnlyList<PendingLedgerRow>> ListStaleAddressRowsAsync(DateTimeOffset now, int max, CancellationToken cancellationToken);
}
