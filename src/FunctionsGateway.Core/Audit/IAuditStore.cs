namespace FunctionsGateway.Core.Audit;

/// <summary>Append-only audit storage, listed newest first without a table scan.</summary>
public interface IAuditStore
{
    Task AppendAsync(AuditEntry entry, CancellationToken cancellationToken);

    /// <summary>Newest first, from <paramref name="newest"/> back over <paramref name="days"/> UTC days, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<AuditEntry>> ListAsync(DateTimeOffset newest, int days, string? deviceId, int limit, CancellationToken cancellationToken);
}
