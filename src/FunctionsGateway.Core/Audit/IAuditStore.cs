namespace FunctionsGateway.Core.Audit;

/// <summary>Append-only audit storage, listed newest first without a table scan.</summary>
public interface IAuditStore
{
    Task AppendAsync(AuditEntry entry, CancellationToken cancellationToken);

    /// <summary>
    /// Appends the entry under a key derived from <paramref name="key"/> and its time, unless that entry exists: false
    /// when it already did, so writers racing over one decision store it once.
    /// </summary>
    Task<bool> AppendOnceAsync(AuditEntry entry, string key, CancellationToken cancellationToken);

    /// <summary>Newest first, from <paramref name="newest"/> back over <paramref name="days"/> UTC days, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<AuditEntry>> ListAsync(DateTimeOffset newest, int days, AuditFilter filter, int limit, CancellationToken cancellationToken);
}

/// <summary>What an audit listing keeps: entries of one device and/or one action (null: any).</summary>
public sealed record AuditFilter(string? DeviceId, string? Action);
