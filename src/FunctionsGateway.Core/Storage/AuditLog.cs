using System.Globalization;
using Azure.Data.Tables;
using FunctionsGateway.Protocol;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Core.Storage;

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
}

public sealed record AuditRecord(
    string Action,
    string DeviceId,
    string Actor,
    ScopeSet ScopesFrom,
    ScopeSet ScopesTo,
    string? Reason = null,
    string? RequestId = null,
    string? Role = null);

public sealed record AuditEntry(
    string Action, string? Reason, string DeviceId, string? RequestId, string? Role,
    string[] ScopesFrom, string[] ScopesTo, string Actor, DateTimeOffset At);

/// <summary>Append-only audit log, one partition per UTC day, newest first inside a day.</summary>
public sealed partial class AuditLog(GatewayTables tables, TimeProvider time, ILogger<AuditLog> logger)
{
    public async Task WriteAsync(AuditRecord record, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var entity = new AuditEntity
        {
            PartitionKey = Partition(now),
            RowKey = (DateTimeOffset.MaxValue.UtcTicks - now.UtcTicks).ToString("D19", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N"),
            Action = record.Action,
            Reason = record.Reason,
            DeviceId = record.DeviceId,
            RequestId = record.RequestId,
            Role = record.Role,
            ScopesFrom = OperatorScopes.ToStorage(record.ScopesFrom),
            ScopesTo = OperatorScopes.ToStorage(record.ScopesTo),
            Actor = record.Actor,
            At = now,
        };

        // The decision is already committed; a lost audit row must be loud, but must not undo it.
        try
        {
            await tables.Audit.AddEntityAsync(entity, cancellationToken);
            LogAudit(logger, record.Action, record.DeviceId, record.Reason, entity.ScopesFrom, entity.ScopesTo, record.Actor);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogAuditFailed(logger, ex, record.Action, record.DeviceId);
        }
    }

    /// <summary>Newest entries first, reading day partitions backwards; never a table scan.</summary>
    public async Task<IReadOnlyList<AuditEntry>> ListAsync(int limit, string? deviceId, int days, CancellationToken cancellationToken)
    {
        var results = new List<AuditEntry>(Math.Min(limit, 64));
        var day = time.GetUtcNow();
        for (var i = 0; i < days && results.Count < limit; i++, day = day.AddDays(-1))
        {
            var filter = deviceId is null
                ? TableClient.CreateQueryFilter($"PartitionKey eq {Partition(day)}")
                : TableClient.CreateQueryFilter($"PartitionKey eq {Partition(day)} and DeviceId eq {deviceId}");
            await foreach (var row in tables.Audit.QueryAsync<AuditEntity>(filter, maxPerPage: Math.Min(limit, 1000), cancellationToken: cancellationToken))
            {
                results.Add(new AuditEntry(row.Action, row.Reason, row.DeviceId, row.RequestId, row.Role,
                    OperatorScopes.ToNames(OperatorScopes.FromStorage(row.ScopesFrom)),
                    OperatorScopes.ToNames(OperatorScopes.FromStorage(row.ScopesTo)),
                    row.Actor, row.At));
                if (results.Count >= limit)
                {
                    break;
                }
            }
        }

        return results;
    }

    private static string Partition(DateTimeOffset at) => at.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = 100, Level = LogLevel.Information,
        Message = "security audit: {Action} device={DeviceId} reason={Reason} scopesFrom={ScopesFrom} scopesTo={ScopesTo} actor={Actor}")]
    private static partial void LogAudit(ILogger logger, string action, string deviceId, string? reason, string scopesFrom, string scopesTo, string actor);

    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "security audit row could not be written: {Action} device={DeviceId}")]
    private static partial void LogAuditFailed(ILogger logger, Exception exception, string action, string deviceId);
}
