using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Dispatch;
using FunctionsGateway.Core.Events;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Core.Runs;
using FunctionsGateway.Core.Sessions;
using FunctionsGateway.Protocol;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Core.SubAgents;

/// <summary>
/// After a sub-agent's run ends, whatever its status: announce it to the requester session (an event to its
/// subscribers and a chat entry) and free the child slot; then, with <c>cleanup: delete</c>, the sub-agent deletes
/// its child session under operator.admin and its identity is removed. Each step is idempotent across redelivery.
/// </summary>
public sealed partial class SubAgentCompletion(
    GatewayDispatcher dispatcher,
    IRunStore runs,
    SessionService children,
    ChatLog chat,
    IConnectionStore connections,
    DeviceRemoval removal,
    IGatewayNotifier notifier,
    ILogger<SubAgentCompletion> logger)
{
    public const string EndedCloseReason = CloseReasons.SubAgentRunEnded;

    private const int MaxAttempts = 8;

    public async Task HandleFinishedAsync(string runId, CancellationToken cancellationToken)
    {
        var run = await runs.GetAsync(runId, cancellationToken);
        if (run is null || run.Lane != RunLanes.Subagent || !RunStatuses.IsTerminal(run.Status) || run.RequesterSessionKey is null)
        {
            return;
        }

        if (!run.Announced)
        {
            await AnnounceAsync(run.RequesterSessionKey, run.SessionKey, run.RunId, run.Status, run.Output, run.Error, run.Cleanup, cancellationToken);
            run = await MarkAsync(runId, r => r.Announced = true, cancellationToken);
        }

        if (run is { CleanedUp: false })
        {
            await CleanUpAsync(run, cancellationToken);
            await MarkAsync(runId, r => r.CleanedUp = true, cancellationToken);
        }
    }

    /// <summary>A spawn that never started its run ends as failed, announced like any other end.</summary>
    public Task AnnounceSpawnFailureAsync(SpawnRequest request, string error, CancellationToken cancellationToken)
        => AnnounceAsync(request.RequesterSessionKey, request.ChildSessionKey, request.RunId, RunStatuses.Failed, null, "spawn failed: " + error, request.Cleanup, cancellationToken);

    private async Task AnnounceAsync(string requester, string child, string runId, string status, string? output, string? error, string? cleanup, CancellationToken cancellationToken)
    {
        // Only the spawn's own run frees its slot. The event and chat entry that follow are at least once: a
        // redelivery after a crash between them repeats them.
        await children.EndChildAsync(requester, child, status, row => row.RunId == runId && row.Status == SessionService.SpawningStatus, cancellationToken);

        var text = status == RunStatuses.Completed ? output ?? string.Empty : $"sub-agent {status}: {error}";
        await chat.AppendAsync(requester, ChatRoles.Subagent, text, runId, cancellationToken);
        await notifier.PublishAsync(EventAudience.Session(requester), GatewayEvents.SubagentCompleted,
            new SubagentCompletedEvent(requester, child, runId, status, output, error, cleanup ?? SpawnCleanup.Keep), cancellationToken);
        LogAnnounced(logger, runId, requester, status);
    }

    private async Task CleanUpAsync(RunRecord run, CancellationToken cancellationToken)
    {
        if (run.SubagentDeviceId is not { } deviceId)
        {
            return;
        }

        var admin = new InternalConnection(dispatcher, InternalIdentity.ConnectionId(deviceId, ScopeSet.Admin));
        if (run.Cleanup == SpawnCleanup.Delete)
        {
            var deleted = await admin.CallAsync(GatewayMethods.SessionsDelete, new { sessionKey = run.SessionKey }, cancellationToken);
            if (!deleted.Ok && (deleted.Error?.Details as ErrorDetails)?.Code != DetailCodes.SessionNotFound)
            {
                throw new InvalidOperationException($"sub-agent could not delete its child session {run.SessionKey}: {deleted.Error?.Message}");
            }

            await removal.RemoveAsync(deviceId, PairingActor.System("subagent-cleanup"), cancellationToken);
            foreach (var scopes in new[] { ScopeSet.Admin, ScopeSet.Write })
            {
                await connections.DeleteAsync(InternalIdentity.ConnectionId(deviceId, scopes), cancellationToken);
            }

            LogDeleted(logger, run.RunId, run.SessionKey, deviceId);
            // Watchers of the requester drop the child on this, instead of asking until sessions.get says deleted.
            await notifier.PublishAsync(EventAudience.Session(run.RequesterSessionKey!), GatewayEvents.SubagentDeleted,
                new SubagentDeletedEvent(run.RequesterSessionKey!, run.SessionKey, run.RunId), cancellationToken);
            return;
        }

        // keep: the child session and the identity stay inspectable, but the run's connections can do nothing more.
        foreach (var scopes in new[] { ScopeSet.Admin, ScopeSet.Write })
        {
            await connections.MarkClosedAsync(InternalIdentity.ConnectionId(deviceId, scopes), EndedCloseReason, cancellationToken);
        }
    }

    private async Task<RunRecord?> MarkAsync(string runId, Action<RunRecord> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var run = await runs.GetAsync(runId, cancellationToken);
            if (run is null)
            {
                return null;
            }

            change(run);
            if (await runs.TryReplaceAsync(run, cancellationToken))
            {
                return run;
            }
        }

        throw new InvalidOperationException($"run {runId} kept changing while it was being finished; the queue retries");
    }

    [LoggerMessage(EventId = 810, Level = LogLevel.Information, Message = "sub-agent run {RunId} announced to {RequesterSessionKey}: {Status}")]
    private static partial void LogAnnounced(ILogger logger, string runId, string requesterSessionKey, string status);

    [LoggerMessage(EventId = 811, Level = LogLevel.Information, Message = "sub-agent run {RunId}: child {ChildSessionKey} deleted and identity {DeviceId} removed")]
    private static partial void LogDeleted(ILogger logger, string runId, string childSessionKey, string deviceId);
}
