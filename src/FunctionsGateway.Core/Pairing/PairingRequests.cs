using FunctionsGateway.Core.Audit;
using FunctionsGateway.Core.Events;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Core.Telemetry;
using FunctionsGateway.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Core.Pairing;

/// <summary>The stored (or reused) pending request, or why none was stored.</summary>
public sealed record PairingRequestOutcome(PendingRequestRecord? Pending, GatewayResponse? Refusal);

/// <summary>
/// Pending pairing requests: one per device, an identical retry keeps its id, a different ask supersedes it, each
/// expires, and live ones are capped (<see cref="PendingLimits"/>). Every write is conditional on the version it read.
/// </summary>
public sealed partial class PairingRequests(
    IDeviceStore devices,
    IPairingRequestIndex index,
    PendingLimits limits,
    DecisionFollowUps followUps,
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
    /// Past a cap nothing is stored or announced, and the outcome carries the refusal.
    /// </summary>
    public async Task<PairingRequestOutcome?> RequestAsync(AccessRequest request, string reason, ScopeSet approvedScopes, DeviceRecord? judged,
        string? clientAddress, CancellationToken cancellationToken)
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
                return new(existing, null);
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
                ClientAddress = clientAddress,
            };

            // Counted before it exists, so racing requests cannot all slip under a cap; a refusal stores nothing.
            var reservation = await limits.ReserveAsync(fresh, existing, cancellationToken);
            if (reservation.Refusal is { } refusal)
            {
                LogRefused(logger, fresh.DeviceId, clientAddress ?? "unknown", refusal.Error!.Message);
                return new(null, refusal);
            }

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
                await limits.ReleaseAsync(fresh, cancellationToken);
                if (attempt < MaxAttempts)
                {
                    continue;
                }

                return null;
            }

            if (existing is null)
            {
                // A replaced request was counted when it was stored: one pending request either way.
                GatewayMetrics.PendingChanged(1);
            }
            else
            {
                await index.DeleteAsync(existing.RequestId, cancellationToken);
                var expired = existing.ExpiresAt <= now;
                var scopes = OperatorScopes.FromStorage(existing.ApprovedScopes);
                await audit.WriteAsync(new AuditRecord(expired ? AuditActions.Expired : AuditActions.Superseded, existing.DeviceId, "system:gateway",
                    scopes, scopes, existing.Reason, existing.RequestId, existing.Role), cancellationToken);
                if (reservation.Announce)
                {
                    await notifier.PublishAsync(EventAudience.PairingWatchers, GatewayEvents.DevicePairResolved,
                        new PairResolvedEvent(existing.RequestId, existing.DeviceId, expired ? "expired" : "rejected", now.ToUnixTimeMilliseconds()), cancellationToken);
                }
            }

            await audit.WriteAsync(new AuditRecord(AuditActions.Requested, fresh.DeviceId, "device:" + fresh.DeviceId,
                approvedScopes, approvedScopes | request.Scopes, reason, fresh.RequestId, fresh.Role), cancellationToken);

            // Past the announcement budget the request is stored and listed, but watchers are not told one by one.
            if (reservation.Announce)
            {
                await notifier.PublishAsync(EventAudience.PairingWatchers, GatewayEvents.DevicePairRequested, PendingRequestView.From(fresh), cancellationToken);
            }

            LogRequested(logger, fresh.RequestId, fresh.DeviceId, reason, fresh.ApprovedScopes, fresh.RequestedScopes);
            return new(fresh, null);
        }
    }

    /// <summary>Every pending, unexpired request, optionally of one device (page by page, for in-process callers).</summary>
    public async Task<IReadOnlyList<PendingRequestView>> ListAsync(string? onlyDeviceId, CancellationToken cancellationToken)
    {
        var all = new List<PendingRequestView>();
        string? after = null;
        do
        {
            var page = await index.ListLiveAsync(time.GetUtcNow(), PairingPaging.MaxLimit, after, onlyDeviceId, cancellationToken);
            all.AddRange(page.Items.Select(PendingRequestView.From));
            after = page.Next;
        }
        while (after is not null);

        return all;
    }

    /// <summary>One page of pending, unexpired requests in request-id order, after the position <paramref name="after"/>.</summary>
    public async Task<ListPage<PendingRequestView>> ListPageAsync(int limit, string? after, CancellationToken cancellationToken)
    {
        var page = await index.ListLiveAsync(time.GetUtcNow(), limit, after, null, cancellationToken);
        return new([.. page.Items.Select(PendingRequestView.From)], page.Next);
    }

    /// <summary>
    /// The live request with this exact id, or the refusal to answer: unknown, expired, already decided, or changing
    /// under a concurrent decision right now.
    /// </summary>
    public async Task<(PendingRequestRecord? Pending, GatewayResponse? Error)> FindLiveAsync(string requestId, CancellationToken cancellationToken)
    {
        // Request ids are 32 lowercase hex; anything else is unknown before storage sees it.
        if (requestId is not { Length: 32 } || !requestId.All(char.IsAsciiHexDigitLower))
        {
            return (null, NotFound(requestId ?? string.Empty));
        }

        var indexed = await index.FindAsync(requestId, cancellationToken);
        if (indexed is null)
        {
            return (null, await index.FindResolvedAsync(requestId, cancellationToken) is { } decided ? Resolved(decided) : NotFound(requestId));
        }

        var now = time.GetUtcNow();
        var pending = await devices.GetPendingAsync(indexed.DeviceId, cancellationToken);
        if (pending is not null && pending.RequestId == requestId)
        {
            if (pending.ExpiresAt <= now)
            {
                await ExpireAsync(pending, indexed, now, cancellationToken);
                return (null, Expired(requestId));
            }

            return (pending, null);
        }

        // The device no longer holds it: a decision committed (its follow-ups may be unfinished), or it is a leftover.
        if (await index.FindResolvedAsync(requestId, cancellationToken) is { } resolved)
        {
            return (null, Resolved(resolved));
        }

        // A decision committed but its caller never heard back (storage stalled as it landed): finish it, then answer as resolved.
        if (await devices.GetDecisionAsync(indexed.DeviceId, requestId, cancellationToken) is { } unfinished)
        {
            await followUps.CompleteAsync(unfinished, null, cancellationToken);
            LogRecovered(logger, requestId, unfinished.DeviceId, unfinished.Decision);
            return (null, Resolved(new ResolvedRequestRecord
            {
                RequestId = requestId,
                DeviceId = unfinished.DeviceId,
                Decision = unfinished.Decision,
                ResolvedAt = unfinished.DecidedAt,
            }));
        }

        if (indexed.ExpiresAt <= now)
        {
            await index.TryDeleteAsync(indexed, cancellationToken);
            return (null, Expired(requestId));
        }

        return (null, GatewayResponse.Invalid("pairing request changed concurrently: " + requestId + "; list the pending requests again",
            DetailCodes.ConcurrentUpdate));
    }

    /// <summary>Drops a request from the index, and from the caps, once its device row no longer holds it.</summary>
    public async Task ForgetAsync(PendingRequestRecord pending, CancellationToken cancellationToken)
    {
        await index.DeleteAsync(pending.RequestId, cancellationToken);
        await limits.ReleaseAsync(pending, cancellationToken);
    }

    /// <summary>
    /// Expires a request its device row still holds (the winner of the conditional delete audits and announces it),
    /// then drops its index row. Returns how many of those two rows this call deleted.
    /// </summary>
    internal async Task<int> ExpireAsync(PendingRequestRecord pending, PendingRequestRecord indexed, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var removed = 0;
        if (await devices.TryCommitAsync([DeviceWrite.Delete(pending)], cancellationToken))
        {
            removed++;
            GatewayMetrics.PendingChanged(-1);
            var approved = OperatorScopes.FromStorage(pending.ApprovedScopes);
            await audit.WriteAsync(new AuditRecord(AuditActions.Expired, pending.DeviceId, "system:gateway", approved, approved, pending.Reason, pending.RequestId, pending.Role), cancellationToken);
            await notifier.PublishAsync(EventAudience.PairingWatchers, GatewayEvents.DevicePairResolved,
                new PairResolvedEvent(pending.RequestId, pending.DeviceId, "expired", now.ToUnixTimeMilliseconds()), cancellationToken);
        }

        // No release: an expired entry has already stopped counting, and the ledger sheds it at its next write.
        return removed + (await index.TryDeleteAsync(indexed, cancellationToken) ? 1 : 0);
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

    private static GatewayResponse Expired(string requestId)
        => GatewayResponse.Invalid("pairing request expired: " + requestId, DetailCodes.RequestExpired);

    private static GatewayResponse Resolved(ResolvedRequestRecord resolved)
        => GatewayResponse.Invalid($"pairing request already resolved ({resolved.Decision}): {resolved.RequestId}", DetailCodes.RequestResolved,
            new { requestId = resolved.RequestId, deviceId = resolved.DeviceId, decision = resolved.Decision, resolvedAtMs = resolved.ResolvedAt.ToUnixTimeMilliseconds() });

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning,
        Message = "pairing required: request {RequestId} device={DeviceId} reason={Reason} scopesFrom={ScopesFrom} scopesTo={ScopesTo}")]
    private static partial void LogRequested(ILogger logger, string requestId, string deviceId, string reason, string scopesFrom, string scopesTo);

    [LoggerMessage(EventId = 205, Level = LogLevel.Information, Message = "pairing request {RequestId} for device {DeviceId}: finished the follow-ups of its {Decision} decision")]
    private static partial void LogRecovered(ILogger logger, string requestId, string deviceId, string decision);

    [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "pairing request for device {DeviceId} from {Address} refused: {Problem}")]
    private static partial void LogRefused(ILogger logger, string deviceId, string address, string problem);
}
