using Azure;
using Azure.Data.Tables;
using FunctionsGateway.Core.Events;
using FunctionsGateway.Core.Handshake;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Core.Storage;
using FunctionsGateway.Protocol;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Core.Pairing;

/// <summary>Who decides: a device over the gateway (with its connection's scopes) or the admin HTTP API.</summary>
public sealed record PairingActor(string Name, string? DeviceId, ScopeSet Scopes)
{
    public static PairingActor AdminApi { get; } = new("admin-api", null, ScopeSet.Admin);

    public static PairingActor Device(string deviceId, ScopeSet scopes) => new("device:" + deviceId, deviceId, scopes);

    public static PairingActor System(string name) => new("system:" + name, null, ScopeSet.Admin);

    public bool IsAdmin => (Scopes & ScopeSet.Admin) != 0;
}

public sealed record PendingRequestView(
    string RequestId, string DeviceId, string Reason, string Role, string[] RequestedScopes, string[] ApprovedScopes,
    string ClientId, string Platform, long CreatedAtMs, long ExpiresAtMs);

public sealed record PairedDeviceView(
    string DeviceId, string[] Roles, string[] Scopes, string ClientId, string Platform, string DeviceFamily, bool Internal, long PairedAtMs);

/// <summary>Pending requests, approvals, rejections, removal and device tokens, all with ETags (DESIGN §4).</summary>
public sealed partial class PairingService(
    DeviceStore devices,
    GatewayTables tables,
    ConnectionStore connections,
    AuditLog audit,
    IGatewayNotifier notifier,
    GatewayOptions options,
    TimeProvider time,
    ILogger<PairingService> logger)
{
    private const int MaxAttempts = 5;

    public const string RevokedCloseReason = "device token revoked";
    public const string RemovedCloseReason = "device removed";

    /// <summary>
    /// Stores (or reuses) the device's pending request; a different newer one supersedes the older. Returns null when
    /// the device record is no longer the one the gate judged (an approval landed meanwhile): the caller re-evaluates.
    /// </summary>
    public async Task<PendingRequestEntity?> RequestAsync(AccessRequest request, string reason, ScopeSet approvedScopes, DeviceEntity? judged, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var existing = await devices.GetPendingAsync(request.DeviceId, cancellationToken);

            // Read after the pending row: an approval deletes that row, so a change it made is visible here or the
            // conditional write below fails.
            var current = await devices.GetDeviceAsync(request.DeviceId, cancellationToken);
            if (current?.ETag != judged?.ETag)
            {
                return null;
            }

            var now = time.GetUtcNow();
            if (existing is not null && existing.ExpiresAt > now && SameAsk(existing, request, reason))
            {
                return existing;
            }

            var fresh = new PendingRequestEntity
            {
                PartitionKey = request.DeviceId,
                RowKey = DeviceRows.Pending,
                RequestId = Guid.NewGuid().ToString("N"),
                Reason = reason,
                Role = GatewayRoles.Name(request.Role),
                RequestedScopes = OperatorScopes.ToStorage(request.Scopes),
                ApprovedScopes = OperatorScopes.ToStorage(approvedScopes),
                PublicKey = request.PublicKey,
                Platform = request.Platform,
                DeviceFamily = request.DeviceFamily,
                ClientId = request.ClientId,
                ClientMode = request.ClientMode,
                CreatedAt = now,
                ExpiresAt = now + options.PairingRequestLifetime,
            };

            // Index first, so the request is resolvable by id the moment it exists.
            var index = ToIndex(fresh);
            await tables.PairingRequests.AddEntityAsync(index, cancellationToken);
            try
            {
                if (existing is null)
                {
                    await devices.Table.AddEntityAsync(fresh, cancellationToken);
                }
                else
                {
                    await devices.Table.UpdateEntityAsync(fresh, existing.ETag, TableUpdateMode.Replace, cancellationToken);
                }
            }
            catch (RequestFailedException ex) when (ex.IsConflict() && attempt < MaxAttempts)
            {
                await DeleteIndexAsync(fresh.RequestId, cancellationToken);
                continue;
            }

            if (existing is not null)
            {
                await DeleteIndexAsync(existing.RequestId, cancellationToken);
                var expired = existing.ExpiresAt <= now;
                await audit.WriteAsync(new AuditRecord(expired ? AuditActions.Expired : AuditActions.Superseded, existing.PartitionKey, "system:gateway",
                    OperatorScopes.FromStorage(existing.ApprovedScopes), OperatorScopes.FromStorage(existing.ApprovedScopes),
                    existing.Reason, existing.RequestId, existing.Role), cancellationToken);
                await notifier.PublishAsync(EventAudience.PairingWatchers, GatewayEvents.DevicePairResolved,
                    new PairResolvedEvent(existing.RequestId, existing.PartitionKey, expired ? "expired" : "rejected", now.ToUnixTimeMilliseconds()), cancellationToken);
            }

            await audit.WriteAsync(new AuditRecord(AuditActions.Requested, fresh.PartitionKey, "device:" + fresh.PartitionKey,
                approvedScopes, approvedScopes | request.Scopes, reason, fresh.RequestId, fresh.Role), cancellationToken);
            await notifier.PublishAsync(EventAudience.PairingWatchers, GatewayEvents.DevicePairRequested, ToView(fresh), cancellationToken);
            LogRequested(logger, fresh.RequestId, fresh.PartitionKey, reason, fresh.ApprovedScopes, fresh.RequestedScopes);
            return fresh;
        }
    }

    /// <summary>The only silent path: an internal identity's first pairing. Fails (false) if anything changed meanwhile.</summary>
    public async Task<bool> TrySilentFirstPairingAsync(AccessRequest request, DeviceSnapshot snapshot, CancellationToken cancellationToken)
    {
        if (snapshot.Device is not null || snapshot.Internal is null)
        {
            return false;
        }

        var now = time.GetUtcNow();
        var device = NewDevice(request.DeviceId, request.PublicKey, request.Platform, request.DeviceFamily, request.ClientId, now);
        device.Roles = GatewayRoles.Name(request.Role);
        device.Scopes = OperatorScopes.ToStorage(request.Role == GatewayRole.Operator ? request.Scopes : ScopeSet.None);
        device.IsInternal = true;
        device.BoundSessionKey = snapshot.Internal.BoundSessionKey;
        var actions = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.Add, device),
            // Consuming the marker makes "first" literal: a removed internal identity never re-pairs silently.
            new(TableTransactionActionType.Delete, snapshot.Internal, snapshot.Internal.ETag),
            TokenAction(snapshot.Token, request.DeviceId, device.Roles, device.Scopes, now),
        };
        try
        {
            await devices.Table.SubmitTransactionAsync(actions, cancellationToken);
        }
        catch (TableTransactionFailedException ex) when (ex.IsConflict())
        {
            return false;
        }

        await audit.WriteAsync(new AuditRecord(AuditActions.SilentlyApproved, request.DeviceId, "system:internal-identity",
            ScopeSet.None, OperatorScopes.FromStorage(device.Scopes), PairingReasons.NotPaired, null, device.Roles), cancellationToken);
        await AfterCommitAsync("directory", () => SyncDirectoryAsync(device, cancellationToken));
        return true;
    }

    public async Task<GatewayResponse> ApproveAsync(string requestId, PairingActor actor, CancellationToken cancellationToken)
    {
        var (pending, error) = await FindLiveRequestAsync(requestId, cancellationToken);
        if (pending is null)
        {
            return error!;
        }

        var deviceId = pending.PartitionKey;
        if (actor.DeviceId == deviceId)
        {
            return GatewayResponse.Invalid("a device cannot approve its own pairing request", DetailCodes.SelfApproval);
        }

        var requested = OperatorScopes.FromStorage(pending.RequestedScopes);
        var missing = OperatorScopes.FirstMissing(actor.Scopes, requested);
        if (missing != ScopeSet.None)
        {
            return MissingScope(missing);
        }

        var now = time.GetUtcNow();
        var role = GatewayRoles.TryParse(pending.Role, out var parsedRole) ? parsedRole : GatewayRole.Operator;
        var existing = await devices.GetDeviceAsync(deviceId, cancellationToken);
        var token = await devices.GetTokenAsync(deviceId, pending.Role, cancellationToken);
        var scopesFrom = existing is null ? ScopeSet.None : OperatorScopes.FromStorage(existing.Scopes);

        var device = existing ?? NewDevice(deviceId, pending.PublicKey, pending.Platform, pending.DeviceFamily, pending.ClientId, now);
        device.PublicKey = pending.PublicKey;
        device.Platform = pending.Platform;
        device.DeviceFamily = pending.DeviceFamily;
        device.Roles = PairingGate.AddRole(device.Roles, role);

        // Grants at most what was requested, on top of what was already approved.
        var scopesTo = role == GatewayRole.Operator ? scopesFrom | requested : scopesFrom;
        device.Scopes = OperatorScopes.ToStorage(scopesTo);

        var actions = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.Delete, pending, pending.ETag),
            existing is null
                ? new(TableTransactionActionType.Add, device)
                : new(TableTransactionActionType.UpdateReplace, device, existing.ETag),
            TokenAction(token, deviceId, pending.Role, role == GatewayRole.Operator ? device.Scopes : string.Empty, now),
        };
        try
        {
            await devices.Table.SubmitTransactionAsync(actions, cancellationToken);
        }
        catch (TableTransactionFailedException ex) when (ex.IsConflict())
        {
            return AlreadyResolved(requestId);
        }

        // Committed: the audit row comes first; what follows is bookkeeping that must not turn success into failure.
        await audit.WriteAsync(new AuditRecord(AuditActions.Approved, deviceId, actor.Name, scopesFrom, scopesTo, pending.Reason, requestId, pending.Role), cancellationToken);
        await AfterCommitAsync("index", () => DeleteIndexAsync(requestId, cancellationToken));
        await AfterCommitAsync("directory", () => SyncDirectoryAsync(device, cancellationToken));
        await AfterCommitAsync("event", () => notifier.PublishAsync(EventAudience.PairingWatchers, GatewayEvents.DevicePairResolved,
            new PairResolvedEvent(requestId, deviceId, "approved", now.ToUnixTimeMilliseconds()), cancellationToken));
        LogResolved(logger, requestId, deviceId, "approved", actor.Name);
        return GatewayResponse.Success(new
        {
            requestId,
            deviceId,
            decision = "approved",
            role = pending.Role,
            scopes = OperatorScopes.ToNames(scopesTo),
        });
    }

    public async Task<GatewayResponse> RejectAsync(string requestId, PairingActor actor, CancellationToken cancellationToken)
    {
        var (pending, error) = await FindLiveRequestAsync(requestId, cancellationToken);
        if (pending is null)
        {
            return error!;
        }

        try
        {
            await devices.Table.DeleteEntityAsync(pending.PartitionKey, DeviceRows.Pending, pending.ETag, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.IsConflict() || ex.Status == 404)
        {
            return AlreadyResolved(requestId);
        }

        var now = time.GetUtcNow();
        var approved = OperatorScopes.FromStorage(pending.ApprovedScopes);
        await audit.WriteAsync(new AuditRecord(AuditActions.Rejected, pending.PartitionKey, actor.Name, approved, approved, pending.Reason, requestId, pending.Role), cancellationToken);
        await AfterCommitAsync("index", () => DeleteIndexAsync(requestId, cancellationToken));
        await AfterCommitAsync("event", () => notifier.PublishAsync(EventAudience.PairingWatchers, GatewayEvents.DevicePairResolved,
            new PairResolvedEvent(requestId, pending.PartitionKey, "rejected", now.ToUnixTimeMilliseconds()), cancellationToken));
        LogResolved(logger, requestId, pending.PartitionKey, "rejected", actor.Name);
        return GatewayResponse.Success(new { requestId, deviceId = pending.PartitionKey, decision = "rejected" });
    }

    /// <summary>Pending, unexpired requests from the index partition (a partition query, not a table scan).</summary>
    public async Task<IReadOnlyList<PendingRequestView>> ListPendingAsync(string? onlyDeviceId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var list = new List<PendingRequestView>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {PendingIndexEntity.Partition}");
        await foreach (var row in tables.PairingRequests.QueryAsync<PendingIndexEntity>(filter, cancellationToken: cancellationToken))
        {
            if (row.ExpiresAt > now && (onlyDeviceId is null || row.DeviceId == onlyDeviceId))
            {
                list.Add(new PendingRequestView(row.RowKey, row.DeviceId, row.Reason, row.Role,
                    OperatorScopes.ToNames(OperatorScopes.FromStorage(row.RequestedScopes)),
                    OperatorScopes.ToNames(OperatorScopes.FromStorage(row.ApprovedScopes)),
                    row.ClientId, row.Platform, row.CreatedAt.ToUnixTimeMilliseconds(), row.ExpiresAt.ToUnixTimeMilliseconds()));
            }
        }

        return list;
    }

    public async Task<IReadOnlyList<PairedDeviceView>> ListPairedAsync(string? onlyDeviceId, CancellationToken cancellationToken)
    {
        var rows = await devices.ListDirectoryAsync(onlyDeviceId, cancellationToken);
        return [.. rows.Select(d => new PairedDeviceView(d.RowKey,
            d.Roles.Split(',', StringSplitOptions.RemoveEmptyEntries),
            OperatorScopes.ToNames(OperatorScopes.FromStorage(d.Scopes)),
            d.ClientId, d.Platform, d.DeviceFamily, d.IsInternal, d.PairedAt.ToUnixTimeMilliseconds()))];
    }

    /// <summary>
    /// Removes every row of the device and closes its live connections. The device row is deleted under the ETag it
    /// was read with, so a handshake admitted meanwhile makes the removal re-read and close that connection too.
    /// </summary>
    public async Task<GatewayResponse> RemoveDeviceAsync(string deviceId, PairingActor actor, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var rows = await devices.ReadPartitionAsync(deviceId, cancellationToken);
            var device = rows.FirstOrDefault(r => r.RowKey == DeviceRows.Device);
            if (device is null)
            {
                return GatewayResponse.Invalid("device not found: " + deviceId, DetailCodes.DeviceNotFound);
            }

            // One atomic batch holds the device row (conditional on its ETag) and up to 99 others; rows beyond
            // that (only with very many live connections) are deleted one by one once the device is gone.
            var ordered = rows.OrderBy(r => r.RowKey == DeviceRows.Device ? 0 : 1).ToList();
            try
            {
                await devices.Table.SubmitTransactionAsync(ordered.Take(100).Select(r => new TableTransactionAction(TableTransactionActionType.Delete, r,
                    r.RowKey == DeviceRows.Device ? r.ETag : ETag.All)), cancellationToken);
            }
            catch (TableTransactionFailedException ex) when (ex.IsConflict() && attempt < MaxAttempts)
            {
                continue;
            }

            foreach (var row in ordered.Skip(100))
            {
                await AfterCommitAsync("delete " + row.RowKey, () => devices.Table.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken));
            }

            var scopesFrom = OperatorScopes.FromStorage(device.GetString(nameof(DeviceEntity.Scopes)));
            await audit.WriteAsync(new AuditRecord(AuditActions.Removed, deviceId, actor.Name, scopesFrom, ScopeSet.None), cancellationToken);
            var closed = await CloseConnectionsAsync(rows
                .Where(r => r.RowKey.StartsWith(DeviceRows.ConnectionPrefix, StringComparison.Ordinal))
                .Select(r => r.RowKey[DeviceRows.ConnectionPrefix.Length..]).ToList(), RemovedCloseReason, cancellationToken);
            if (rows.FirstOrDefault(r => r.RowKey == DeviceRows.Pending) is { } pendingRow)
            {
                await AfterCommitAsync("index", () => DeleteIndexAsync(pendingRow.GetString(nameof(PendingRequestEntity.RequestId)), cancellationToken));
            }

            await AfterCommitAsync("directory", () => devices.DeleteDirectoryAsync(deviceId, cancellationToken));
            return GatewayResponse.Success(new { deviceId, removed = true, closedConnections = closed });
        }
    }

    /// <summary>
    /// Rotates a device token. The caller's own new token is returned to it; rotating another device's token
    /// kills the old one and the device is shown its new token at its next (shared-token) connect.
    /// </summary>
    public async Task<GatewayResponse> RotateTokenAsync(string deviceId, string role, PairingActor actor, CancellationToken cancellationToken)
    {
        var self = actor.DeviceId == deviceId;
        string? plain = null;
        var (token, now) = await UpdateTokenAsync(deviceId, role, (token, now) =>
        {
            if (self)
            {
                (plain, token.TokenHash) = DeviceTokens.Mint();
            }
            else
            {
                token.TokenHash = null;
            }

            token.IssuePending = !self;
            token.RevokedAt = null;
            token.RotatedAt = now;
        }, cancellationToken);
        if (token is null)
        {
            return GatewayResponse.Invalid($"no {role} token for device {deviceId}", DetailCodes.DeviceNotFound);
        }

        var scopes = OperatorScopes.FromStorage(token.Scopes);
        await audit.WriteAsync(new AuditRecord(AuditActions.TokenRotated, deviceId, actor.Name, scopes, scopes, null, null, role), cancellationToken);
        return GatewayResponse.Success(new { deviceId, role, rotated = true, deviceToken = plain, rotatedAtMs = now.ToUnixTimeMilliseconds() });
    }

    public async Task<GatewayResponse> RevokeTokenAsync(string deviceId, string role, PairingActor actor, CancellationToken cancellationToken)
    {
        var (token, now) = await UpdateTokenAsync(deviceId, role, (token, now) =>
        {
            token.TokenHash = null;
            token.IssuePending = false;
            token.RevokedAt = now;
        }, cancellationToken);
        if (token is null)
        {
            return GatewayResponse.Invalid($"no {role} token for device {deviceId}", DetailCodes.DeviceNotFound);
        }

        var scopes = OperatorScopes.FromStorage(token.Scopes);
        await audit.WriteAsync(new AuditRecord(AuditActions.TokenRevoked, deviceId, actor.Name, scopes, ScopeSet.None, null, null, role), cancellationToken);
        var live = await devices.ListConnectionsAsync(deviceId, role, cancellationToken);
        var closed = await CloseConnectionsAsync([.. live.Select(c => c.ConnectionId)], RevokedCloseReason, cancellationToken);
        return GatewayResponse.Success(new { deviceId, role, revoked = true, closedConnections = closed, revokedAtMs = now.ToUnixTimeMilliseconds() });
    }

    /// <summary>Read-modify-write of one token row under its ETag, retried on a lost race; null when there is none.</summary>
    private async Task<(DeviceTokenEntity? Token, DateTimeOffset Now)> UpdateTokenAsync(
        string deviceId, string role, Action<DeviceTokenEntity, DateTimeOffset> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var token = await devices.GetTokenAsync(deviceId, role, cancellationToken);
            if (token is null)
            {
                return (null, default);
            }

            var now = time.GetUtcNow();
            change(token, now);
            try
            {
                await devices.Table.UpdateEntityAsync(token, token.ETag, TableUpdateMode.Replace, cancellationToken);
                return (token, now);
            }
            catch (RequestFailedException ex) when (ex.IsConflict() && attempt < MaxAttempts)
            {
                // Someone changed the row since it was read: read it again and reapply.
            }
        }
    }

    /// <summary>
    /// Invalidates every connection first (a call racing the close is refused by its one point read), then closes
    /// each through the service; one failed close neither stops the others nor undoes the committed decision.
    /// </summary>
    private async Task<int> CloseConnectionsAsync(List<string> connectionIds, string reason, CancellationToken cancellationToken)
    {
        foreach (var id in connectionIds)
        {
            await connections.MarkClosedAsync(id, reason, cancellationToken);
        }

        foreach (var id in connectionIds)
        {
            await AfterCommitAsync("close " + id, () => notifier.CloseConnectionAsync(id, reason, cancellationToken));
        }

        return connectionIds.Count;
    }

    private async Task AfterCommitAsync(string step, Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogAfterCommitFailed(logger, ex, step);
        }
    }

    /// <summary>Writes the directory entry, then drops it again if the device was removed meanwhile.</summary>
    private async Task SyncDirectoryAsync(DeviceEntity device, CancellationToken cancellationToken)
    {
        await devices.UpsertDirectoryAsync(device, cancellationToken);
        if (await devices.GetDeviceAsync(device.PartitionKey, cancellationToken) is null)
        {
            await devices.DeleteDirectoryAsync(device.PartitionKey, cancellationToken);
        }
    }

    private async Task<(PendingRequestEntity? Pending, GatewayResponse? Error)> FindLiveRequestAsync(string requestId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(requestId) || requestId.Length > 64)
        {
            return (null, NotFound(requestId ?? string.Empty));
        }

        var index = await tables.PairingRequests.FindAsync<PendingIndexEntity>(PendingIndexEntity.Partition, requestId, cancellationToken);
        if (index is null)
        {
            return (null, NotFound(requestId));
        }

        var pending = await devices.GetPendingAsync(index.DeviceId, cancellationToken);
        if (pending is null || pending.RequestId != requestId)
        {
            await DeleteIndexAsync(requestId, cancellationToken);
            return (null, NotFound(requestId));
        }

        var now = time.GetUtcNow();
        if (pending.ExpiresAt <= now)
        {
            await ExpireAsync(pending, now, cancellationToken);
            return (null, GatewayResponse.Invalid("pairing request expired: " + requestId, DetailCodes.RequestExpired));
        }

        return (pending, null);
    }

    private async Task ExpireAsync(PendingRequestEntity pending, DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            await devices.Table.DeleteEntityAsync(pending.PartitionKey, DeviceRows.Pending, pending.ETag, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.IsConflict() || ex.Status == 404)
        {
            return;
        }

        var approved = OperatorScopes.FromStorage(pending.ApprovedScopes);
        await audit.WriteAsync(new AuditRecord(AuditActions.Expired, pending.PartitionKey, "system:gateway", approved, approved, pending.Reason, pending.RequestId, pending.Role), cancellationToken);
        await DeleteIndexAsync(pending.RequestId, cancellationToken);
        await notifier.PublishAsync(EventAudience.PairingWatchers, GatewayEvents.DevicePairResolved,
            new PairResolvedEvent(pending.RequestId, pending.PartitionKey, "expired", now.ToUnixTimeMilliseconds()), cancellationToken);
    }

    private async Task DeleteIndexAsync(string requestId, CancellationToken cancellationToken)
    {
        try
        {
            await tables.PairingRequests.DeleteEntityAsync(PendingIndexEntity.Partition, requestId, ETag.All, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
        }
    }

    /// <summary>Marks the role's token for a fresh mint at the next connect; the old one stays valid until then.</summary>
    private static TableTransactionAction TokenAction(DeviceTokenEntity? token, string deviceId, string role, string scopes, DateTimeOffset now)
    {
        if (token is null)
        {
            return new(TableTransactionActionType.Add, new DeviceTokenEntity
            {
                PartitionKey = deviceId,
                RowKey = DeviceRows.Token(role),
                Role = role,
                Scopes = scopes,
                CreatedAt = now,
                IssuePending = true,
            });
        }

        token.Scopes = scopes;
        token.IssuePending = true;
        return new(TableTransactionActionType.UpdateReplace, token, token.ETag);
    }

    private static DeviceEntity NewDevice(string deviceId, string publicKey, string platform, string family, string clientId, DateTimeOffset now) => new()
    {
        PartitionKey = deviceId,
        RowKey = DeviceRows.Device,
        PublicKey = publicKey,
        Platform = platform,
        DeviceFamily = family,
        ClientId = clientId,
        PairedAt = now,
    };

    private static bool SameAsk(PendingRequestEntity existing, AccessRequest request, string reason)
        => existing.Reason == reason
            && existing.Role == GatewayRoles.Name(request.Role)
            && OperatorScopes.FromStorage(existing.RequestedScopes) == request.Scopes
            && existing.PublicKey == request.PublicKey
            && existing.Platform == request.Platform
            && existing.DeviceFamily == request.DeviceFamily;

    private static PendingIndexEntity ToIndex(PendingRequestEntity pending) => new()
    {
        PartitionKey = PendingIndexEntity.Partition,
        RowKey = pending.RequestId,
        DeviceId = pending.PartitionKey,
        Reason = pending.Reason,
        Role = pending.Role,
        RequestedScopes = pending.RequestedScopes,
        ApprovedScopes = pending.ApprovedScopes,
        ClientId = pending.ClientId,
        Platform = pending.Platform,
        CreatedAt = pending.CreatedAt,
        ExpiresAt = pending.ExpiresAt,
    };

    public static PendingRequestView ToView(PendingRequestEntity pending) => new(
        pending.RequestId, pending.PartitionKey, pending.Reason, pending.Role,
        OperatorScopes.ToNames(OperatorScopes.FromStorage(pending.RequestedScopes)),
        OperatorScopes.ToNames(OperatorScopes.FromStorage(pending.ApprovedScopes)),
        pending.ClientId, pending.Platform, pending.CreatedAt.ToUnixTimeMilliseconds(), pending.ExpiresAt.ToUnixTimeMilliseconds());

    public static GatewayResponse MissingScope(ScopeSet scope)
        => GatewayResponse.Invalid("missing scope: " + OperatorScopes.Name(scope), DetailCodes.MissingScope, new { scope = OperatorScopes.Name(scope) });

    private static GatewayResponse NotFound(string requestId)
        => GatewayResponse.Invalid("unknown pairing request: " + requestId, DetailCodes.RequestNotFound);

    private static GatewayResponse AlreadyResolved(string requestId)
        => GatewayResponse.Invalid("pairing request already resolved or changed concurrently: " + requestId, DetailCodes.ConcurrentUpdate);

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning,
        Message = "pairing required: request {RequestId} device={DeviceId} reason={Reason} scopesFrom={ScopesFrom} scopesTo={ScopesTo}")]
    private static partial void LogRequested(ILogger logger, string requestId, string deviceId, string reason, string scopesFrom, string scopesTo);

    [LoggerMessage(EventId = 202, Level = LogLevel.Error, Message = "a committed pairing decision could not finish its {Step} step")]
    private static partial void LogAfterCommitFailed(ILogger logger, Exception exception, string step);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "pairing request {RequestId} for device {DeviceId} {Decision} by {Actor}")]
    private static partial void LogResolved(ILogger logger, string requestId, string deviceId, string decision, string actor);
}
