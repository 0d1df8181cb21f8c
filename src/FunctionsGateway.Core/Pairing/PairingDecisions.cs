using FunctionsGateway.Core.Audit;
using FunctionsGateway.Core.Authorization;
using FunctionsGateway.Core.Telemetry;
using FunctionsGateway.Protocol;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Core.Pairing;

/// <summary>
/// Approvals and rejections by exact request id, and the one silent path (an internal identity's first pairing).
/// Each commits in one atomic write to the device's rows, so racing decisions cannot both win; the same write stores the
/// decision's record, from which its follow-ups run (<see cref="DecisionFollowUps"/>), so none is lost when the caller
/// never hears the answer.
/// </summary>
public sealed partial class PairingDecisions(
    PairingRequests requests,
    IDeviceStore devices,
    DecisionFollowUps followUps,
    TimeProvider time,
    ILogger<PairingDecisions> logger)
{
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
        var decision = DecisionFollowUps.Record(AuditActions.SilentlyApproved, PairingDecisionNames.Approved, request.DeviceId, null,
            "system:internal-identity", device.Roles, ScopeSet.None, OperatorScopes.FromStorage(device.Scopes), PairingReasons.NotPaired, null, now);
        DeviceWrite[] writes =
        [
            DeviceWrite.Add(device),
            // Consuming the marker makes "first" literal: a removed internal identity never re-pairs silently.
            DeviceWrite.Delete(snapshot.Internal),
            TokenWrite(snapshot.Token, request.DeviceId, device.Roles, device.Scopes, now),
            DeviceWrite.Add(decision),
        ];
        if (!await devices.TryCommitAsync(writes, cancellationToken))
        {
            return false;
        }

        await followUps.AfterCommitAsync(decision, device, cancellationToken);
        return true;
    }

    public async Task<GatewayResponse> ApproveAsync(string requestId, PairingActor actor, CancellationToken cancellationToken)
    {
        var (pending, error) = await requests.FindLiveAsync(requestId, cancellationToken);
        if (pending is null)
        {
            return error!;
        }

        var deviceId = pending.DeviceId;
        if (actor.DeviceId == deviceId)
        {
            return GatewayResponse.Invalid("a device cannot approve its own pairing request", DetailCodes.SelfApproval);
        }

        // The approver must hold every scope it grants; a node receives runs, their tasks and owner flags, so
        // approving one takes operator.admin.
        var requested = OperatorScopes.FromStorage(pending.RequestedScopes);
        var needed = pending.Role == GatewayRoles.Node ? requested | ScopeSet.Admin : requested;
        var missing = OperatorScopes.FirstMissing(actor.Scopes, needed);
        if (missing != ScopeSet.None)
        {
            return Denials.MissingScope(missing);
        }

        var now = time.GetUtcNow();
        var role = GatewayRoles.TryParse(pending.Role, out var parsedRole) ? parsedRole : GatewayRole.Operator;
        var existing = await devices.GetDeviceAsync(deviceId, cancellationToken);
        var token = await devices.GetTokenAsync(deviceId, pending.Role, cancellationToken);
        var scopesFrom = existing is null ? ScopeSet.None : OperatorScopes.FromStorage(existing.Scopes);

        var device = existing ?? NewDevice(deviceId, pending.PublicKey, pending.Platform, pending.DeviceFamily, pending.ClientId, now);
        device.PublicKey = pending.PublicKey;
        device.Platform = PairingGate.Pinned(device.Platform, pending.Platform);
        device.DeviceFamily = PairingGate.Pinned(device.DeviceFamily, pending.DeviceFamily);
        device.Roles = PairingGate.AddRole(device.Roles, role);

        // Grants at most what was requested, on top of what was already approved.
        var scopesTo = role == GatewayRole.Operator ? scopesFrom | requested : scopesFrom;
        device.Scopes = OperatorScopes.ToStorage(scopesTo);

        var decision = DecisionFollowUps.Record(AuditActions.Approved, PairingDecisionNames.Approved, deviceId, requestId, actor.Name, pending.Role,
            scopesFrom, scopesTo, pending.Reason, pending.ClientAddress, now);
        DeviceWrite[] writes =
        [
            DeviceWrite.Delete(pending),
            existing is null ? DeviceWrite.Add(device) : DeviceWrite.Replace(device),
            TokenWrite(token, deviceId, pending.Role, role == GatewayRole.Operator ? device.Scopes : string.Empty, now),
            DeviceWrite.Add(decision),
        ];
        if (!await devices.TryCommitAsync(writes, cancellationToken))
        {
            return AlreadyResolved(requestId);
        }

        GatewayMetrics.PendingChanged(-1);
        GatewayMetrics.Approved(Approver(actor));

        // Committed: the follow-ups (audit row first) must not turn success into failure.
        await followUps.AfterCommitAsync(decision, device, cancellationToken);
        LogResolved(logger, requestId, deviceId, PairingDecisionNames.Approved, actor.Name);
        return GatewayResponse.Success(new
        {
            requestId,
            deviceId,
            decision = PairingDecisionNames.Approved,
            role = pending.Role,
            scopes = OperatorScopes.ToNames(scopesTo),
        });
    }

    public async Task<GatewayResponse> RejectAsync(string requestId, PairingActor actor, CancellationToken cancellationToken)
    {
        var (pending, error) = await requests.FindLiveAsync(requestId, cancellationToken);
        if (pending is null)
        {
            return error!;
        }

        var approved = OperatorScopes.FromStorage(pending.ApprovedScopes);
        var decision = DecisionFollowUps.Record(AuditActions.Rejected, PairingDecisionNames.Rejected, pending.DeviceId, requestId, actor.Name, pending.Role,
            approved, approved, pending.Reason, pending.ClientAddress, time.GetUtcNow());
        if (!await devices.TryCommitAsync([DeviceWrite.Delete(pending), DeviceWrite.Add(decision)], cancellationToken))
        {
            return AlreadyResolved(requestId);
        }

        GatewayMetrics.PendingChanged(-1);
        await followUps.AfterCommitAsync(decision, null, cancellationToken);
        LogResolved(logger, requestId, pending.DeviceId, PairingDecisionNames.Rejected, actor.Name);
        return GatewayResponse.Success(new { requestId, deviceId = pending.DeviceId, decision = PairingDecisionNames.Rejected });
    }

    /// <summary>Marks the role's token for a fresh mint at the next connect; the old one stays valid until then.</summary>
    private static DeviceWrite TokenWrite(DeviceTokenRecord? token, string deviceId, string role, string scopes, DateTimeOffset now)
    {
        if (token is null)
        {
            return DeviceWrite.Add(new DeviceTokenRecord
            {
                DeviceId = deviceId,
                Role = role,
                Scopes = scopes,
                CreatedAt = now,
                IssuePending = true,
            });
        }

        token.Scopes = scopes;
        token.IssuePending = true;
        return DeviceWrite.Replace(token);
    }

    private static DeviceRecord NewDevice(string deviceId, string publicKey, string platform, string family, string clientId, DateTimeOffset now) => new()
    {
        DeviceId = deviceId,
        PublicKey = publicKey,
        Platform = platform,
        DeviceFamily = family,
        ClientId = clientId,
        PairedAt = now,
    };

    private static string Approver(PairingActor actor)
        => actor.Name == PairingActor.AdminApi.Name ? Approvers.AdminApi : actor.DeviceId is not null ? Approvers.Device : Approvers.System;

    /// <summary>A decision that lost the race to another one (or to a newer request) inside its read-then-write window.</summary>
    private static GatewayResponse AlreadyResolved(string requestId)
        => GatewayResponse.Invalid("pairing request resolved or changed concurrently: " + requestId, DetailCodes.ConcurrentUpdate);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "pairing request {RequestId} for device {DeviceId} {Decision} by {Actor}")]
    private static partial void LogResolved(ILogger logger, string requestId, string deviceId, string decision, string actor);
}
