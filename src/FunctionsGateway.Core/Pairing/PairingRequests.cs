using FunctionsGateway.Core.Audit;
using FunctionsGateway.Core.Events;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Core.Pairing;

/// <summary>
/// Pending pairing requests: one per device, an identical retry keeps its id, a different ask supersedes it, and
/// each expires. Every write is conditional on the version it read.
/// </summary>
public sealed partial class PairingRequests(
    IDeviceStore devices,
    IPairingRequestIndex index,
    AuditLog audit,
    IGatewayNotifier notifier,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    ILogger<PairingRequests> logger)
{
    private const int MaxAttempts = 5;

    /// <summary>
    /// Stores (or reuses) the device's pending request; a different newer one supersedes the older. Returns null when
    /// the device record is no longer the one the gate judged (an approval landed meanwhile): the caller re-evaluates.
    /// </summary>
    public async Task<PendingRequestRecord?> RequestAsync(AccessRequest request, string reason, ScopeSet approvedScopes, DeviceRecord? judged, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var existing = await devices.GetPendingAsync(request.DeviceId, cancellationToken);

            // Read after the pending row: an approval deletes that row, so a change it made is visible here or the
            // conditional write below fails.
            var current = await devices.GetDeviceAsync(request.DeviceId, cancellationToken);
            if (current?.Version != judged?.Version)
            {
                return null;
            }

            var now = time.GetUtcNow();
            if (existing is not null && existing.ExpiresAt > now && SameAsk(existing, request, reason))
            {
                return existing;
            }

            var fresh = new PendingRequestRecord
            {
                DeviceId = request.DeviceId,
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
                ExpiresAt = now + options.Value.PairingRequestLifetime,
            };

            // Index first, so the request is resolvable by id the moment it exists.
            await index.AddAsync(fresh, cancellationToken);
            if (existing is not null)
            {
                fresh.Version = existing.Version;
            }

            var write = existing is null ? DeviceWrite.Add(fresh) : DeviceWrite.Replace(fresh);
            if (!await devices.TryCommitAsync([write], cancellationToken))
            {
                await index.DeleteAsync(fresh.RequestId, cancellationToken);
                if (attempt < MaxAttempts)
                {
                    continue;
                }

                return null;
            }

            if (existing is not null)
            {
                await index.DeleteAsync(existing.RequestId, cancellationToken);
                var expired = existing.ExpiresAt <= now;
                var scopes = OperatorScopes.FromStorage(existing.ApprovedScopes);
                await audit.WriteAsync(new AuditRecord(expired ? AuditActions.Expired : AuditActions.Superseded, existing.DeviceId, "system:gateway",
                    scopes, scopes, existing.Reason, existing.RequestId, existing.Role), cancellationToken);
                await notifier.PublishAsync(EventAudience.PairingWatchers, GatewayEvents.DevicePairResolved,
                    new PairResolvedEvent(existing.RequestId, existing.DeviceId, expired ? "expired" : "rejected", now.ToUnixTimeMilliseconds()), cancellationToken);
            }

            await audit.WriteAsync(new AuditRecord(AuditActions.Requested, fresh.DeviceId, "device:" + fresh.DeviceId,
                approvedScopes, approvedScopes | request.Scopes, reason, fresh.RequestId, fresh.Role), cancellationToken);
            await notifier.PublishAsync(EventAudience.PairingWatchers, GatewayEvents.DevicePairRequested, PendingRequestView.From(fresh), cancellationToken);
            LogRequested(logger, fresh.RequestId, fresh.DeviceId, reason, fresh.ApprovedScopes, fresh.RequestedScopes);
            return fresh;
        }
    }

    /// <summary>Pending, unexpired requests, optionally of one device.</summary>
    public async Task<IReadOnlyList<PendingRequestView>> ListAsync(string? onlyDeviceId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return [.. (await index.ListAsync(cancellationToken))
            .Where(r => r.ExpiresAt > now && (onlyDeviceId is null || r.DeviceId == onlyDeviceId))
            .Select(PendingRequestView.From)];
    }

    /// <summary>The live request with this exact id, or the refusal to answer (unknown, or expired and now purged).</summary>
    public async Task<(PendingRequestRecord? Pending, GatewayResponse? Error)> FindLiveAsync(string requestId, CancellationToken cancellationToken)
    {
        // Request ids are 32 lowercase hex; anything else is unknown before storage sees it.
        if (requestId is not { Length: 32 } || !requestId.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'))
        {
            return (null, NotFound(requestId ?? string.Empty));
        }

        var indexed = await index.FindAsync(requestId, cancellationToken);
        if (indexed is null)
        {
            return (null, NotFound(requestId));
        }

        var pending = await devices.GetPendingAsync(indexed.DeviceId, cancellationToken);
        if (pending is null || pending.RequestId != requestId)
        {
            await index.DeleteAsync(requestId, cancellationToken);
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

    /// <summary>Drops a request from the index once its device row no longer holds it.</summary>
    public Task ForgetAsync(string requestId, CancellationToken cancellationToken) => index.DeleteAsync(requestId, cancellationToken);

    private async Task ExpireAsync(PendingRequestRecord pending, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!await devices.TryCommitAsync([DeviceWrite.Delete(pending)], cancellationToken))
        {
            return;
        }

        var approved = OperatorScopes.FromStorage(pending.ApprovedScopes);
        await audit.WriteAsync(new AuditRecord(AuditActions.Expired, pending.DeviceId, "system:gateway", approved, approved, pending.Reason, pending.RequestId, pending.Role), cancellationToken);
        await index.DeleteAsync(pending.RequestId, cancellationToken);
        await notifier.PublishAsync(EventAudience.PairingWatchers, GatewayEvents.DevicePairResolved,
            new PairResolvedEvent(pending.RequestId, pending.DeviceId, "expired", now.ToUnixTimeMilliseconds()), cancellationToken);
    }

    private static bool SameAsk(PendingRequestRecord existing, AccessRequest request, string reason)
        => existing.Reason == reason
            && existing.Role == GatewayRoles.Name(request.Role)
            && OperatorScopes.FromStorage(existing.RequestedScopes) == request.Scopes
            && existing.PublicKey == request.PublicKey
            && existing.Platform == request.Platform
            && existing.DeviceFamily == request.DeviceFamily;

    private static GatewayResponse NotFound(string requestId)
        => GatewayResponse.Invalid("unknown pairing request: " + requestId, DetailCodes.RequestNotFound);

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning,
        Message = "pairing required: request {RequestId} device={DeviceId} reason={Reason} scopesFrom={ScopesFrom} scopesTo={ScopesTo}")]
    private static partial void LogRequested(ILogger logger, string requestId, string deviceId, string reason, string scopesFrom, string scopesTo);
}
