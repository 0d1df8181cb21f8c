using FunctionsGateway.Core.Dispatch;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Core.Runs;
using FunctionsGateway.Core.Sessions;
using FunctionsGateway.Core.Telemetry;
using FunctionsGateway.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Core.SubAgents;

/// <summary>A step of a spawn that the gateway refused: the spawn fails, is retried, and finally goes to the poison queue.</summary>
public sealed class SpawnStepFailedException(string step, GatewayResponse response)
    : Exception($"spawn step {step} refused: {response.Error?.Code} {response.Error?.Message}")
{
    public string Step { get; } = step;

    public GatewayResponse Response { get; } = response;
}

/// <summary>
/// The queue-triggered half of <c>sessions.spawn</c>, idempotent per run id: a fresh internal identity bound to the
/// child session; its first, silent admission at the policy's ceiling; <c>sessions.patch</c> to create the child;
/// <c>agent</c> to start the run. Every call goes through the dispatcher as an in-process connection of that identity.
/// </summary>
public sealed partial class SubAgentSpawner(
    GatewayDispatcher dispatcher,
    IDeviceStore devices,
    DeviceRemoval removal,
    ISessionStore sessions,
    IRunStore runs,
    SubAgentCompletion completion,
    ISubAgentScopePolicy policy,
    IEnumerable<ISubAgentCallObserver> observers,
    IOptions<GatewayOptions> gatewayOptions,
    TimeProvider time,
    ILogger<SubAgentSpawner> logger)
{
    public async Task SpawnAsync(SpawnRequest request, bool lastAttempt, CancellationToken cancellationToken)
    {
        using var activity = GatewayActivities.StartSpawn();
        var started = time.GetTimestamp();
        var outcome = SpawnOutcomes.Failed;
        try
        {
            outcome = await SpawnOnceAsync(request, lastAttempt, cancellationToken) ? SpawnOutcomes.Spawned : SpawnOutcomes.Skipped;
        }
        finally
        {
            // A cancellation (the host stopping) is no outcome of the spawn's own.
            if (!cancellationToken.IsCancellationRequested)
            {
                GatewayActivities.SpawnFinished(activity, outcome);
                GatewayMetrics.SpawnFinished(time.GetElapsedTime(started), outcome);
            }
        }
    }

    /// <summary>True when this attempt created the child and started its run; false when there was nothing to do.</summary>
    private async Task<bool> SpawnOnceAsync(SpawnRequest request, bool lastAttempt, CancellationToken cancellationToken)
    {
        // Only a spawn that sessions.spawn reserved runs; and once its run exists, a redelivery has nothing to do.
        var child = await sessions.GetChildAsync(request.RequesterSessionKey, request.ChildSessionKey, cancellationToken);
        if (child is null || child.RunId != request.RunId)
        {
            LogUnreserved(logger, request.RunId, request.ChildSessionKey);
            return false;
        }

        // Only a run in this child session is this spawn's; a run of that id elsewhere makes agent answer RUN_CONFLICT.
        if (await runs.GetAsync(request.RunId, cancellationToken) is { } existing && existing.SessionKey == request.ChildSessionKey)
        {
            LogAlreadyStarted(logger, request.RunId);
            return false;
        }

        using var identity = new InternalIdentity();
        var spawn = new SpawnAttempt(identity, dispatcher, policy, gatewayOptions.Value.SharedToken, time, call => Observe(call));
        try
        {
            if (!await devices.RegisterInternalIdentityAsync(identity.DeviceId, request.ChildSessionKey, time.GetUtcNow(), cancellationToken))
            {
                throw new InvalidOperationException("a freshly made sub-agent key was already known");
            }

            await spawn.ConnectAsync(policy.FirstAdmission, cancellationToken);
            await spawn.CallAsync(GatewayMethods.SessionsPatch, new
            {
                sessionKey = request.ChildSessionKey,
                spawnedBy = request.RequesterSessionKey,
                depth = request.Depth,
                model = request.Model,
                label = request.Label,
                spawnRunId = request.RunId,
                cleanup = request.Cleanup,
            }, cancellationToken);
            await spawn.CallAsync(GatewayMethods.Agent, new
            {
                sessionKey = request.ChildSessionKey,
                task = request.Task,
                lane = RunLanes.Subagent,
                model = request.Model,
                timeoutSeconds = request.RunTimeoutSeconds,
                runId = request.RunId,
            }, cancellationToken);
            if ((await runs.GetAsync(request.RunId, cancellationToken))?.SubagentDeviceId is { } owner && owner != identity.DeviceId)
            {
                // A concurrent delivery of the same message owns the run: this attempt's identity is surplus.
                LogDuplicate(logger, request.RunId, identity.DeviceId);
                await removal.RemoveAsync(identity.DeviceId, PairingActor.System("subagent-spawn"), cancellationToken);
                return false;
            }

            LogSpawned(logger, request.RunId, request.ChildSessionKey, identity.DeviceId);
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // A storage timeout is an exception like any other here; only the host stopping is not a failure.
            LogFailed(logger, ex, request.RunId, request.ChildSessionKey, lastAttempt);
            if ((await runs.GetAsync(request.RunId, cancellationToken))?.SessionKey == request.ChildSessionKey)
            {
                // The run started (a later step failed, or a concurrent delivery won): the child is live, keep it.
                throw;
            }

            await UndoAsync(spawn, identity, request.ChildSessionKey, cancellationToken);
            if (lastAttempt)
            {
                // No child ends silently: the last failed attempt is announced before the message goes to the poison queue.
                await completion.AnnounceSpawnFailureAsync(request, ex.Message, cancellationToken);
            }

            throw;
        }
    }

    /// <summary>On failure: delete the child session under operator.admin, and drop this attempt's identity.</summary>
    private async Task UndoAsync(SpawnAttempt spawn, InternalIdentity identity, string childSessionKey, CancellationToken cancellationToken)
    {
        try
        {
            await spawn.CallAsync(GatewayMethods.SessionsDelete, new { sessionKey = childSessionKey }, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogUndoFailed(logger, ex, childSessionKey);
        }

        await removal.RemoveAsync(identity.DeviceId, PairingActor.System("subagent-spawn"), cancellationToken);
    }

    private void Observe(SubAgentCall call)
    {
        foreach (var observer in observers)
        {
            observer.OnCall(call);
        }
    }

    [LoggerMessage(EventId = 800, Level = LogLevel.Information, Message = "sub-agent spawned: run {RunId}, child {ChildSessionKey}, identity {DeviceId}")]
    private static partial void LogSpawned(ILogger logger, string runId, string childSessionKey, string deviceId);

    [LoggerMessage(EventId = 801, Level = LogLevel.Warning, Message = "spawn of run {RunId} (child {ChildSessionKey}) failed; last attempt: {LastAttempt}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string runId, string childSessionKey, bool lastAttempt);

    [LoggerMessage(EventId = 802, Level = LogLevel.Warning, Message = "spawn message for run {RunId} names child {ChildSessionKey}, which no sessions.spawn reserved; ignored")]
    private static partial void LogUnreserved(ILogger logger, string runId, string childSessionKey);

    [LoggerMessage(EventId = 803, Level = LogLevel.Information, Message = "spawn of run {RunId} delivered again after its run started; nothing to do")]
    private static partial void LogAlreadyStarted(ILogger logger, string runId);

    [LoggerMessage(EventId = 805, Level = LogLevel.Information, Message = "spawn of run {RunId} was delivered twice at once; identity {DeviceId} of the losing delivery removed")]
    private static partial void LogDuplicate(ILogger logger, string runId, string deviceId);

    [LoggerMessage(EventId = 804, Level = LogLevel.Warning, Message = "a failed spawn could not delete its child session {ChildSessionKey}")]
    private static partial void LogUndoFailed(ILogger logger, Exception exception, string childSessionKey);
}

/// <summary>One call a sub-agent identity made, with the scopes its connection asked for and the gateway's answer.</summary>
public sealed record SubAgentCall(string DeviceId, string ConnectionId, ScopeSet Scopes, string Method, GatewayResponse Response);

/// <summary>Sees every call a spawn makes (telemetry, and the tests that prove which scopes each call carried).</summary>
public interface ISubAgentCallObserver
{
    void OnCall(SubAgentCall call);
}

/// <summary>One attempt's connections: one per scope set the policy names, made in the order the calls need them.</summary>
internal sealed class SpawnAttempt(
    InternalIdentity identity, GatewayDispatcher dispatcher, ISubAgentScopePolicy policy, string sharedToken, TimeProvider time, Action<SubAgentCall> observe)
{
    private readonly Dictionary<ScopeSet, InternalConnection> connections = [];

    public async Task<InternalConnection> ConnectAsync(ScopeSet scopes, CancellationToken cancellationToken)
    {
        if (connections.TryGetValue(scopes, out var open))
        {
            return open;
        }

        var connection = new InternalConnection(dispatcher, InternalIdentity.ConnectionId(identity.DeviceId, scopes));
        var answer = await connection.ConnectAsync(identity, scopes, sharedToken, time, cancellationToken);
        observe(new SubAgentCall(identity.DeviceId, connection.ConnectionId, scopes, GatewayMethods.Connect, answer));
        if (!answer.Ok)
        {
            throw new SpawnStepFailedException(GatewayMethods.Connect + " " + OperatorScopes.ToStorage(scopes), answer);
        }

        connections[scopes] = connection;
        return connection;
    }

    public async Task CallAsync(string method, object parameters, CancellationToken cancellationToken)
    {
        var scopes = policy.For(method);
        var connection = await ConnectAsync(scopes, cancellationToken);
        var answer = await connection.CallAsync(method, parameters, cancellationToken);
        observe(new SubAgentCall(identity.DeviceId, connection.ConnectionId, scopes, method, answer));
        if (!answer.Ok)
        {
            throw new SpawnStepFailedException(method, answer);
        }
    }
}
