using FunctionsGateway.Core.Audit;
using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Events;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Pairing;

/// <summary><c>device.token.rotate</c> and <c>device.token.revoke</c>: read-modify-write of one token row under its version.</summary>
public sealed class DeviceTokenService(IDeviceStore devices, AuditLog audit, ConnectionCloser closer, IGatewayNotifier notifier, TimeProvider time)
{
    public const string RevokedCloseReason = CloseReasons.DeviceTokenRevoked;
    public const string RotatedCloseReason = CloseReasons.DeviceTokenRotated;

    private const int MaxAttempts = 5;

    /// <summary>
    /// Rotates a device token. The caller's own new token is returned to it; rotating another device's token
    /// kills the old one and the device is shown its new token at its next (shared-token) connect. Like revocation,
    /// rotation closes the device's live connections of that role (<paramref name="caller"/>'s only after its answer).
    /// </summary>
    public async Task<GatewayResponse> RotateAsync(string deviceId, string role, PairingActor actor, CancellationToken cancellationToken, string? caller = null)
    {
        var self = actor.DeviceId == deviceId;
        string? plain = null;
        var (token, now) = await UpdateAsync(deviceId, role, (token, now) =>
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
            return NoToken(deviceId, role);
        }

        var scopes = OperatorScopes.FromStorage(token.Scopes);
        await audit.WriteAsync(new AuditRecord(AuditActions.TokenRotated, deviceId, actor.Name, scopes, scopes, null, null, role), cancellationToken);
        await PublishAsync(deviceId, DeviceChanges.TokenRotated, role, scopes, now, cancellationToken);
        var live = await devices.ListConnectionsAsync(deviceId, role, cancellationToken);
        var closed = await closer.CloseAsync([.. live.Select(c => c.ConnectionId)], RotatedCloseReason, cancellationToken, caller);
        return GatewayResponse.Success(new { deviceId, role, rotated = true, deviceToken = plain, closedConnections = closed, rotatedAtMs = now.ToUnixTimeMilliseconds() });
    }

    public async Task<GatewayResponse> RevokeAsync(string deviceId, string role, PairingActor actor, CancellationToken cancellationToken, string? caller = null)
    {
        var (token, now) = await UpdateAsync(deviceId, role, (token, now) =>
        {
            token.TokenHash = null;
            token.IssuePending = false;
            token.RevokedAt = now;
        }, cancellationToken);
        if (token is null)
        {
            return NoToken(deviceId, role);
        }

        var scopes = OperatorScopes.FromStorage(token.Scopes);
        await audit.WriteAsync(new AuditRecord(AuditActions.TokenRevoked, deviceId, actor.Name, scopes, ScopeSet.None, null, null, role), cancellationToken);
        await PublishAsync(deviceId, DeviceChanges.TokenRevoked, role, ScopeSet.None, now, cancellationToken);
        var live = await devices.ListConnectionsAsync(deviceId, role, cancellationToken);
        var closed = await closer.CloseAsync([.. live.Select(c => c.ConnectionId)], RevokedCloseReason, cancellationToken, caller);
        return GatewayResponse.Success(new { deviceId, role, revoked = true, closedConnections = closed, revokedAtMs = now.ToUnixTimeMilliseconds() });
    }

    /// <summary>Read-modify-write of one token row under its version, retried on a lost race; null when there is none.</summary>
    private async Task<(DeviceTokenRecord? Token, DateTimeOffset Now)> UpdateAsync(
        string deviceId, string role, Action<DeviceTokenRecord, DateTimeOffset> change, CancellationToken cancellationToken)
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
            if (await devices.TryCommitAsync([DeviceWrite.Replace(token)], cancellationToken))
            {
                return (token, now);
            }

            if (attempt >= MaxAttempts)
            {
                throw new InvalidOperationException($"the {role} token of device {deviceId} kept changing; retry");
            }
        }
    }

    /// <summary><c>device.changed</c> to pairing watchers, after the commit and its audit row; it never carries the token.</summary>
    private Task PublishAsync(string deviceId, string change, string role, ScopeSet scopes, DateTimeOffset at, CancellationToken cancellationToken)
        => notifier.PublishAsync(EventAudience.PairingWatchers, GatewayEvents.DeviceChanged,
            new DeviceChangedEvent(deviceId, change, role, null, OperatorScopes.ToNames(scopes), at.ToUnixTimeMilliseconds()), cancellationToken);

    private static GatewayResponse NoToken(string deviceId, string role)
        => GatewayResponse.Invalid($"no {role} token for device {deviceId}", DetailCodes.DeviceNotFound);
}
