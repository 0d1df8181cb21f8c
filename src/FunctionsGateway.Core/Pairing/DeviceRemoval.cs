using FunctionsGateway.Core.Audit;
using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Events;
using FunctionsGateway.Core.Telemetry;
using FunctionsGateway.Protocol;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Core.Pairing;

/// <summary><c>device.pair.remove</c>: every row of the device goes, and its live connections are closed.</summary>
public sealed class DeviceRemoval(
    IDeviceStore devices,
    PairingRequests requests,
    DeviceDirectory directory,
    AuditLog audit,
    ConnectionCloser closer,
    IGatewayNotifier notifier,
    TimeProvider time,
    ILogger<DeviceRemoval> logger)
{
    public const string RemovedCloseReason = CloseReasons.DeviceRemoved;

    private const int MaxAttempts = 5;

    /// <summary>
    /// The device row is deleted under the version it was read with, so a connection admitted meanwhile makes the
    /// removal re-read and close that connection too.
    /// </summary>
    public async Task<GatewayResponse> RemoveAsync(string deviceId, PairingActor actor, CancellationToken cancellationToken, string? caller = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            var rows = await devices.ReadAllAsync(deviceId, cancellationToken);
            if (rows.Device is null)
            {
                // Never paired: an internal marker or a pending request may still be there, and goes too.
                if ((rows.Internal is not null || rows.Pending is not null) && await devices.TryRemoveAsync(rows, cancellationToken) && rows.Pending is { } orphan)
                {
                    GatewayMetrics.PendingChanged(-1);
                    await AfterCommit.RunAsync(logger, "index", () => requests.ForgetAsync(orphan, cancellationToken));
                }

                return GatewayResponse.Invalid("device not found: " + deviceId, DetailCodes.DeviceNotFound);
            }

            if (!await devices.TryRemoveAsync(rows, cancellationToken))
            {
                if (attempt < MaxAttempts)
                {
                    continue;
                }

                return GatewayResponse.Failure(ErrorCodes.Unavailable, "the device kept changing during removal; retry", new ErrorDetails(DetailCodes.ConcurrentUpdate));
            }

            var scopesFrom = OperatorScopes.FromStorage(rows.Device.Scopes);
            await audit.WriteAsync(new AuditRecord(AuditActions.Removed, deviceId, actor.Name, scopesFrom, ScopeSet.None), cancellationToken);
            await notifier.PublishAsync(EventAudience.PairingWatchers, GatewayEvents.DeviceChanged,
                new DeviceChangedEvent(deviceId, DeviceChanges.Removed, null, null, [], time.GetUtcNow().ToUnixTimeMilliseconds(), rows.Device.IsInternal ? true : null),
                cancellationToken);
            var closed = await closer.CloseAsync([.. rows.Connections.Select(c => c.ConnectionId)], RemovedCloseReason, cancellationToken, caller);
            if (rows.Pending is { } pending)
            {
                GatewayMetrics.PendingChanged(-1);
                await AfterCommit.RunAsync(logger, "index", () => requests.ForgetAsync(pending, cancellationToken));
            }

            await AfterCommit.RunAsync(logger, "directory", () => directory.RemoveAsync(deviceId, cancellationToken));
            return GatewayResponse.Success(new { deviceId, removed = true, closedConnections = closed });
        }
    }
}
