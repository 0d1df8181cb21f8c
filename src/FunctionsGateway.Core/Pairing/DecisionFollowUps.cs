using FunctionsGateway.Core.Audit;
using FunctionsGateway.Core.Events;
using FunctionsGateway.Protocol;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Core.Pairing;

/// <summary>
/// What a committed pairing decision does after its commit: the audit row, the index's resolved marker (and the request
/// leaving the index and the caps), the directory entry, and the <c>device.pair.resolved</c> event. The decision's
/// commit also wrote a <see cref="PairingDecisionRecord"/> (a transactional outbox in the device's partition); the
/// follow-ups run from it and delete it at the end, so whoever finds it unfinished - the deciding call, a retried
/// decision, the sweep - can finish them. Each step is idempotent (the audit row has a key derived from the decision),
/// and only the one caller whose conditional delete of the record wins publishes the event.
/// </summary>
public sealed partial class DecisionFollowUps(
    IDeviceStore devices,
    IPairingRequestIndex index,
    PendingLimits limits,
    DeviceDirectory directory,
    AuditLog audit,
    IGatewayNotifier notifier,
    ILogger<DecisionFollowUps> logger)
{
    /// <summary>How old an unfinished decision record must be before the sweep finishes it (the deciding call is long over).</summary>
    public static readonly TimeSpan SweepAge = TimeSpan.FromMinutes(1);

    /// <summary>The record a decision's commit writes with it.</summary>
    public static PairingDecisionRecord Record(string action, string decision, string deviceId, string? requestId, string actor, string role,
        ScopeSet scopesFrom, ScopeSet scopesTo, string reason, string? clientAddress, DateTimeOffset decidedAt) => new()
    {
        DeviceId = deviceId,
        DecisionId = requestId ?? Guid.NewGuid().ToString("N"),
        Action = action,
        Decision = decision,
        RequestId = requestId,
        Actor = actor,
        Role = role,
        ScopesFrom = OperatorScopes.ToStorage(scopesFrom),
        ScopesTo = OperatorScopes.ToStorage(scopesTo),
        Reason = reason,
        ClientAddress = clientAddress,
        DecidedAt = decidedAt,
    };

    /// <summary>
    /// Runs the follow-ups of a committed decision right after its commit. A storage failure leaves the record for a
    /// retry or the sweep to finish, and never turns the committed decision into a failure.
    /// </summary>
    public async Task AfterCommitAsync(PairingDecisionRecord decision, DeviceRecord? device, CancellationToken cancellationToken)
    {
        try
        {
            await CompleteAsync(decision, device, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogUnfinished(logger, ex, decision.DecisionId, decision.DeviceId);
        }
    }

    /// <summary>
    /// Finishes an unfinished decision found later (by a retried decision or the sweep). True when this call deleted
    /// the record (and so published the event); false when another recovery did.
    /// </summary>
    public async Task<bool> CompleteAsync(PairingDecisionRecord decision, DeviceRecord? device, CancellationToken cancellationToken)
    {
        await audit.WriteOnceAsync(new AuditRecord(decision.Action, decision.DeviceId, decision.Actor,
            OperatorScopes.FromStorage(decision.ScopesFrom), OperatorScopes.FromStorage(decision.ScopesTo), decision.Reason,
            decision.RequestId, decision.Role), decision.DecisionId, decision.DecidedAt, cancellationToken);
        if (decision.RequestId is { } requestId)
        {
            // The marker first: from here on the request id answers "already resolved" even while the rest is unfinished.
            await index.MarkResolvedAsync(new ResolvedRequestRecord
            {
                RequestId = requestId,
                DeviceId = decision.DeviceId,
                Decision = decision.Decision,
                ResolvedAt = decision.DecidedAt,
            }, cancellationToken);
            await index.DeleteAsync(requestId, cancellationToken);
            await limits.ReleaseAsync(new PendingRequestRecord { DeviceId = decision.DeviceId, RequestId = requestId, ClientAddress = decision.ClientAddress },
                cancellationToken);
        }

        if (decision.Decision == PairingDecisionNames.Approved)
        {
            // A device removed meanwhile has no directory entry to write.
            device ??= await devices.GetDeviceAsync(decision.DeviceId, cancellationToken);
            if (device is not null)
            {
                await directory.SyncAsync(device, cancellationToken);
            }
        }

        // Only the caller whose conditional delete wins announces the decision: racing recoveries publish it once.
        if (!await devices.TryCommitAsync([DeviceWrite.Delete(decision)], cancellationToken))
        {
            return false;
        }

        var ts = decision.DecidedAt.ToUnixTimeMilliseconds();
        if (decision.RequestId is not null)
        {
            await notifier.PublishAsync(EventAudience.PairingWatchers, GatewayEvents.DevicePairResolved,
                new PairResolvedEvent(decision.RequestId, decision.DeviceId, decision.Decision, ts), cancellationToken);
        }

        if (decision.Decision == PairingDecisionNames.Approved)
        {
            await notifier.PublishAsync(EventAudience.PairingWatchers, GatewayEvents.DeviceChanged, new DeviceChangedEvent(decision.DeviceId,
                DeviceChanges.Paired, decision.Role, device?.Roles.Split(',', StringSplitOptions.RemoveEmptyEntries),
                OperatorScopes.ToNames(OperatorScopes.FromStorage(decision.ScopesTo)), ts, device?.IsInternal == true ? true : null), cancellationToken);
        }

        return true;
    }

    [LoggerMessage(EventId = 204, Level = LogLevel.Warning,
        Message = "pairing decision {DecisionId} for device {DeviceId} is committed but its follow-ups are unfinished; a retry or the sweep finishes them")]
    private static partial void LogUnfinished(ILogger logger, Exception exception, string decisionId, string deviceId);
}

/// <summary>The decisions a pairing request ends with, as events and the resolved marker name them.</summary>
public static class PairingDecisionNames
{
    public const string Approved = "approved";
    public const string Rejected = "rejected";
}
