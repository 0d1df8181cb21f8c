using FunctionsGateway.Core.Events;
using FunctionsGateway.Protocol;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Core.Audit;

public static class AuditActions
{
    public const string Requested = "pairing.requested";
    public const string Approved = "pairing.approved";
    public const string SilentlyApproved = "pairing.approved.silent";
    public const string Rejected = "pairing.rejected";
    public const string Superseded = "pairing.superseded";
    public const string Expired = "pairing.expired";
    public const string Removed = "device.removed";
    public const string TokenRotated = "device.token.rotated";
    public const string TokenRevoked = "device.token.revoked";

    /// <summary>A sub-agent identity called outside its own session (protocol §5.4).</summary>
    public const string BoundaryRefused = "subagent.boundary.refused";

    /// <summary>Every action the log writes: what <c>audit.list</c>'s <c>action</c> filter accepts.</summary>
    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        Requested, Approved, SilentlyApproved, Rejected, Superseded, Expired, Removed, TokenRotated, TokenRevoked, BoundaryRefused,
    };
}

/// <summary>What a decision records: reason, device, scopesFrom → scopesTo, actor.</summary>
public sealed record AuditRecord(
    string Action,
    string DeviceId,
    string Actor,
    ScopeSet ScopesFrom,
    ScopeSet ScopesTo,
    string? Reason = null,
    string? RequestId = null,
    string? Role = null);

/// <summary>One stored audit entry, as the audit list shows it.</summary>
public sealed record AuditEntry(
    string Action, string? Reason, string DeviceId, string? RequestId, string? Role,
    string[] ScopesFrom, string[] ScopesTo, string Actor, DateTimeOffset At)
{
    /// <summary>The same time in Unix milliseconds, as every other time on the wire.</summary>
    public long AtMs => At.ToUnixTimeMilliseconds();
}

/// <summary>Payload of <c>audit.appended</c>: the entry just written, as <c>audit.list</c> shows it.</summary>
public sealed record AuditAppendedEvent(AuditEntry Entry);

/// <summary>
/// The security audit trail: every decision is written once, and a lost write is loud but never undoes it. Each entry
/// written goes to admin connections as <c>audit.appended</c> (best effort, after the row is stored).
/// </summary>
public sealed partial class AuditLog(IAuditStore store, IGatewayNotifier notifier, TimeProvider time, ILogger<AuditLog> logger)
{
    public async Task WriteAsync(AuditRecord record, CancellationToken cancellationToken)
    {
        var entry = new AuditEntry(record.Action, record.Reason, record.DeviceId, record.RequestId, record.Role,
            OperatorScopes.ToNames(record.ScopesFrom), OperatorScopes.ToNames(record.ScopesTo), record.Actor, time.GetUtcNow());

        // The decision is already committed; a lost audit row must be loud, but must not undo it.
        try
        {
            await store.AppendAsync(entry, cancellationToken);
            LogAudit(logger, record.Action, record.DeviceId, record.Reason,
                OperatorScopes.ToStorage(record.ScopesFrom), OperatorScopes.ToStorage(record.ScopesTo), record.Actor);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogAuditFailed(logger, ex, record.Action, record.DeviceId);
            return;
        }

        await AnnounceAsync(entry, cancellationToken);
    }

    /// <summary>
    /// Writes the audit row of a committed decision exactly once, keyed by <paramref name="key"/> and dated
    /// <paramref name="at"/> (the decision's time), however many recoveries race to write it. Throws when storage fails,
    /// so the caller keeps the decision's record and a later recovery writes the row.
    /// </summary>
    public async Task WriteOnceAsync(AuditRecord record, string key, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var entry = new AuditEntry(record.Action, record.Reason, record.DeviceId, record.RequestId, record.Role,
            OperatorScopes.ToNames(record.ScopesFrom), OperatorScopes.ToNames(record.ScopesTo), record.Actor, at);
        if (await store.AppendOnceAsync(entry, key, cancellationToken))
        {
            LogAudit(logger, record.Action, record.DeviceId, record.Reason,
                OperatorScopes.ToStorage(record.ScopesFrom), OperatorScopes.ToStorage(record.ScopesTo), record.Actor);

            // Only the writer that stored the row announces it: racing recoveries of one decision announce it once.
            await AnnounceAsync(entry, cancellationToken);
        }
    }

    private Task AnnounceAsync(AuditEntry entry, CancellationToken cancellationToken)
        => notifier.PublishAsync(EventAudience.Admins, GatewayEvents.AuditAppended, new AuditAppendedEvent(entry), cancellationToken);

    /// <summary>Newest entries first, over the last <paramref name="days"/> days, of one device and one action when given.</summary>
    public Task<IReadOnlyList<AuditEntry>> ListAsync(int limit, string? deviceId, int days, CancellationToken cancellationToken, string? action = null)
        => store.ListAsync(time.GetUtcNow(), days, new AuditFilter(deviceId, action), limit, cancellationToken);

    [LoggerMessage(EventId = 100, Level = LogLevel.Information,
        Message = "security audit: {Action} device={DeviceId} reason={Reason} scopesFrom={ScopesFrom} scopesTo={ScopesTo} actor={Actor}")]
    private static partial void LogAudit(ILogger logger, string action, string deviceId, string? reason, string scopesFrom, string scopesTo, string actor);

    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "security audit row could not be written: {Action} device={DeviceId}")]
    private static partial void LogAuditFailed(ILogger logger, Exception exception, string action, string deviceId);
}
