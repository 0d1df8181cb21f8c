using FunctionsGateway.Core.Events;
using FunctionsGateway.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Core.Runs;

/// <summary>
/// Connected workers and the offering of runs to them: one worker at a time, the least busy first and, among equals,
/// the one offered least recently (so runs spread fairly), each offer lapsing after <see cref="RunOptions.OfferTimeout"/>
/// if it is not started.
/// </summary>
public sealed partial class WorkerOffers(
    IRunStore runs,
    IGatewayNotifier notifier,
    IRunTimers timers,
    IOptions<RunOptions> runOptions,
    TimeProvider time,
    ILogger<WorkerOffers> logger)
{
    private const int MaxAttempts = 8;

    public async Task RegisterAsync(string connectionId, string deviceId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var worker = new WorkerRecord { ConnectionId = connectionId, DeviceId = deviceId, ConnectedAt = now, LastOfferedAt = DateTimeOffset.UnixEpoch };
        if (!await runs.TrySaveWorkerAsync(worker, cancellationToken))
        {
            LogAlreadyRegistered(logger, connectionId);
        }
    }

    /// <summary><c>node.event {kind:"ready", agentIds}</c>: the agent ids this worker serves from now on.</summary>
    public async Task<GatewayResponse> ReadyAsync(string connectionId, string[]? agentIds, CancellationToken cancellationToken)
    {
        if (agentIds is not null && (agentIds.Length > 64 || !agentIds.All(SessionKeys.IsAgentId)))
        {
            return GatewayResponse.Invalid("agentIds must be at most 64 agent ids of [a-z0-9_-]", DetailCodes.InvalidParams);
        }

        var joined = agentIds is null ? string.Empty : string.Join(',', agentIds.Distinct(StringComparer.Ordinal));
        var saved = await UpdateWorkerAsync(connectionId, w => w.AgentIds = joined, cancellationToken);
        return saved
            ? GatewayResponse.Success(new { ready = true, agentIds = agentIds ?? [] })
            : GatewayResponse.Invalid("this connection is not a registered worker", DetailCodes.RunNotOffered);
    }

    public async Task<IReadOnlyList<WorkerRecord>> ListAsync(CancellationToken cancellationToken) => await runs.ListWorkersAsync(cancellationToken);

    /// <summary>Offers a queued run to the next worker; with none free, tries again when the offer would have lapsed.</summary>
    public async Task OfferAsync(RunRecord run, CancellationToken cancellationToken)
    {
        var options = runOptions.Value;
        var previous = run.WorkerConnectionId;
        foreach (var worker in await CandidatesAsync(run, cancellationToken))
        {
            if (!await UpdateWorkerAsync(worker.ConnectionId, w =>
                {
                    w.LastOfferedAt = time.GetUtcNow();
                    w.ActiveRunIds = Join(Split(w.ActiveRunIds).Append(run.RunId));
                }, cancellationToken))
            {
                continue;
            }

            run.WorkerConnectionId = worker.ConnectionId;
            run.OfferedTo = Join(Split(run.OfferedTo).Append(worker.ConnectionId));
            run.OfferAttempt++;
            if (!await runs.TryReplaceAsync(run, cancellationToken))
            {
                // The run changed meanwhile (started, aborted, offered by a racing timer): that change stands.
                await ReleaseAsync(worker.ConnectionId, run.RunId, cancellationToken);
                return;
            }

            if (previous is not null && previous != worker.ConnectionId)
            {
                await ReleaseAsync(previous, run.RunId, cancellationToken);
            }

            LogOffered(logger, run.RunId, worker.ConnectionId, run.OfferAttempt);
            await notifier.PublishAsync(EventAudience.Connection(worker.ConnectionId), GatewayEvents.NodeRun,
                new NodeRunEvent(run.RunId, run.SessionKey, run.AgentId, run.Task, run.Lane, run.Model, run.TimeoutMs, run.SenderIsOwner), cancellationToken);
            await timers.ScheduleAsync(new RunTimer(run.RunId, RunTimerKind.Offer, run.OfferAttempt), options.OfferTimeout, cancellationToken);
            return;
        }

        // Nobody to offer it to now: look again later; the deadline times it out if nobody ever starts it.
        LogNoWorker(logger, run.RunId, run.AgentId);
        await timers.ScheduleAsync(new RunTimer(run.RunId, RunTimerKind.Offer, run.OfferAttempt), options.OfferTimeout, cancellationToken);
    }

    /// <summary>Forgets that a worker holds a run (ended, or offered to someone else).</summary>
    public Task ReleaseAsync(string connectionId, string runId, CancellationToken cancellationToken)
        => UpdateWorkerAsync(connectionId, w => w.ActiveRunIds = Join(Split(w.ActiveRunIds).Where(id => id != runId)), cancellationToken);

    /// <summary>Workers serving the run's agent: first those not yet offered this run, least recently offered first.</summary>
    private async Task<IEnumerable<WorkerRecord>> CandidatesAsync(RunRecord run, CancellationToken cancellationToken)
    {
        var serving = (await runs.ListWorkersAsync(cancellationToken)).Where(w => w.Serves(run.AgentId)).ToList();
        var tried = Split(run.OfferedTo).ToHashSet(StringComparer.Ordinal);
        var fresh = serving.Where(w => !tried.Contains(w.ConnectionId)).ToList();

        // Everyone had a turn: start another round, skipping the worker that just let it lapse if there is another.
        var pool = fresh.Count > 0 ? fresh : serving.Where(w => w.ConnectionId != run.WorkerConnectionId || serving.Count == 1).ToList();
        return pool.OrderBy(w => Split(w.ActiveRunIds).Count()).ThenBy(w => w.LastOfferedAt).ThenBy(w => w.ConnectionId, StringComparer.Ordinal);
    }

    private async Task<bool> UpdateWorkerAsync(string connectionId, Action<WorkerRecord> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var worker = await runs.GetWorkerAsync(connectionId, cancellationToken);
            if (worker is null)
            {
                return false;
            }

            change(worker);
            if (await runs.TrySaveWorkerAsync(worker, cancellationToken))
            {
                return true;
            }
        }

        return false;
    }

    public static IEnumerable<string> Split(string ids) => ids.Split(',', StringSplitOptions.RemoveEmptyEntries);

    private static string Join(IEnumerable<string> ids) => string.Join(',', ids.Distinct(StringComparer.Ordinal));

    [LoggerMessage(EventId = 710, Level = LogLevel.Information, Message = "run {RunId} offered to worker {ConnectionId} (offer {Attempt})")]
    private static partial void LogOffered(ILogger logger, string runId, string connectionId, int attempt);

    [LoggerMessage(EventId = 711, Level = LogLevel.Information, Message = "run {RunId}: no connected worker serves agent {AgentId}; looking again later")]
    private static partial void LogNoWorker(ILogger logger, string runId, string agentId);

    [LoggerMessage(EventId = 712, Level = LogLevel.Warning, Message = "worker {ConnectionId} was already registered")]
    private static partial void LogAlreadyRegistered(ILogger logger, string connectionId);
}
