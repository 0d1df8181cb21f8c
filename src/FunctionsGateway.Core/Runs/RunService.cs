using FunctionsGateway.Core.Events;
using FunctionsGateway.Core.Methods;
using FunctionsGateway.Core.Sessions;
using FunctionsGateway.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Core.Runs;

/// <summary>What starts a run: who asked, in which session, and what to do.</summary>
public sealed record RunStart(GatewayPrincipal Caller, SessionRecord Session, string Task, string Lane, string? Model, int? TimeoutSeconds, string? RunId);

/// <summary>
/// A run's life: created queued, offered to one worker at a time, started by exactly one, ended once (completed,
/// failed, timed out or aborted). Every step is a conditional write of the run row; timers are queue messages.
/// </summary>
public sealed partial class RunService(
    IRunStore runs,
    ChatLog chat,
    WorkerOffers offers,
    IGatewayNotifier notifier,
    IRunTimers timers,
    IOptions<RunOptions> runOptions,
    TimeProvider time,
    ILogger<RunService> logger)
{
    private const int MaxAttempts = 8;
    private readonly RunOptions options = runOptions.Value;

    public async Task<(RunRecord? Run, GatewayResponse? Error)> StartAsync(RunStart start, CancellationToken cancellationToken)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(start.Task) > options.MaxTaskBytes)
        {
            return (null, GatewayResponse.Invalid($"task is larger than {options.MaxTaskBytes} bytes", DetailCodes.InvalidParams, new { limit = "maxTaskBytes", max = options.MaxTaskBytes }));
        }

        var timeout = start.TimeoutSeconds ?? options.DefaultTimeoutSeconds;
        if (timeout < 1 || timeout > options.MaxTimeoutSeconds)
        {
            return (null, GatewayResponse.Invalid($"timeoutSeconds must be 1..{options.MaxTimeoutSeconds}", DetailCodes.InvalidParams, new { limit = "maxRunTimeoutSeconds", max = options.MaxTimeoutSeconds }));
        }

        var session = start.Session;
        var subagent = start.Lane == RunLanes.Subagent;
        var run = new RunRecord
        {
            RunId = start.RunId ?? Guid.NewGuid().ToString("N"),
            SessionKey = session.SessionKey,
            AgentId = session.AgentId,
            Lane = start.Lane,
            Task = start.Task,
            Model = start.Model ?? session.Model,
            TimeoutMs = timeout * 1000L,
            Status = RunStatuses.Queued,
            CallerDeviceId = start.Caller.DeviceId,
            SenderIsOwner = start.Caller.IsAdmin,
            CreatedAt = time.GetUtcNow(),
            RequesterSessionKey = subagent ? session.SpawnedBy : null,
            Cleanup = subagent ? session.Cleanup ?? SpawnCleanup.Keep : null,
            SubagentDeviceId = subagent ? session.OwnerDeviceId : null,
        };

        if (!await runs.TryCreateAsync(run, cancellationToken))
        {
            // The same run id again: a retry of the same start answers the same run; another session's id is refused.
            var existing = await runs.GetAsync(run.RunId, cancellationToken);
            if (existing is null || existing.SessionKey != session.SessionKey)
            {
                return (null, GatewayResponse.Invalid("run id already used by another session: " + run.RunId, DetailCodes.RunConflict));
            }

            if (existing.Status != RunStatuses.Queued || existing.OfferAttempt > 0)
            {
                return (existing, null);
            }

            run = existing;
        }
        else
        {
            await PublishStatusAsync(run, cancellationToken);
        }

        LogStarted(logger, run.RunId, run.SessionKey, run.Lane, run.SenderIsOwner);
        await timers.ScheduleAsync(new RunTimer(run.RunId, RunTimerKind.Deadline), TimeSpan.FromMilliseconds(run.TimeoutMs), cancellationToken);
        await offers.OfferAsync(run, cancellationToken);
        return (run, null);
    }

    /// <summary>A worker claims an offered run: exactly one <c>started</c> wins.</summary>
    public async Task<GatewayResponse> StartedAsync(string connectionId, string deviceId, string runId, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var run = await runs.GetAsync(runId, cancellationToken);
            if (run is null)
            {
                return NotFound(runId);
            }

            if (run.Status != RunStatuses.Queued || run.WorkerConnectionId != connectionId)
            {
                return NotOffered(run, "started");
            }

            run.Status = RunStatuses.Running;
            run.StartedAt = time.GetUtcNow();
            run.WorkerDeviceId = deviceId;
            if (await runs.TryReplaceAsync(run, cancellationToken))
            {
                await PublishStatusAsync(run, cancellationToken);
                return GatewayResponse.Success(new { runId, status = run.Status });
            }
        }

        return Busy();
    }

    /// <summary>Progress from the worker running the run: passed on to the session's subscribers, not stored.</summary>
    public async Task<GatewayResponse> ProgressAsync(string connectionId, string runId, string? output, CancellationToken cancellationToken)
    {
        var run = await runs.GetAsync(runId, cancellationToken);
        if (run is null)
        {
            return NotFound(runId);
        }

        if (run.Status != RunStatuses.Running || run.WorkerConnectionId != connectionId)
        {
            return NotOffered(run, "progress");
        }

        await PublishStatusAsync(run, new RunStatusEvent(run.RunId, run.SessionKey, run.Status, Cut(output), null, run.RequesterSessionKey), cancellationToken);
        return GatewayResponse.Success(new { runId, status = run.Status });
    }

    /// <summary>The worker running the run reports its end.</summary>
    public async Task<GatewayResponse> FinishedAsync(string connectionId, string runId, bool completed, string? output, string? error, CancellationToken cancellationToken)
    {
        var status = completed ? RunStatuses.Completed : RunStatuses.Failed;
        error = completed ? null : error ?? "the worker reported a failure";

        // A worker that gives up at the run's timeout (its own timer can beat the gateway's) ends it as timed out.
        if (!completed && await runs.GetAsync(runId, cancellationToken) is { } current && time.GetUtcNow() >= current.Deadline)
        {
            status = RunStatuses.TimedOut;
            error = $"timed out: the run did not finish within {current.TimeoutMs / 1000} s ({error})";
        }

        var ended = await EndAsync(runId, status, completed ? output : null, error,
            run => run.Status == RunStatuses.Running && run.WorkerConnectionId == connectionId, cancellationToken, reportedByWorker: true);
        return ended.Run is { } run && ended.Changed
            ? GatewayResponse.Success(new { runId, status = run.Status })
            : ended.Run is null ? NotFound(runId) : NotOffered(ended.Run, completed ? "completed" : "failed");
    }

    /// <summary><c>chat.abort</c>: a run that has not ended is aborted, and its worker told to stop.</summary>
    public async Task<GatewayResponse> AbortAsync(string sessionKey, string runId, string reason, CancellationToken cancellationToken)
    {
        var ended = await EndAsync(runId, RunStatuses.Aborted, null, reason,
            run => run.SessionKey == sessionKey && !RunStatuses.IsTerminal(run.Status), cancellationToken);
        if (ended.Run is null || ended.Run.SessionKey != sessionKey)
        {
            return NotFound(runId);
        }

        return GatewayResponse.Success(new { runId, status = ended.Run.Status, aborted = ended.Changed });
    }

    /// <summary>A timer fired: re-offer a lapsed offer, or time out a run past its deadline. Safe to run twice or late.</summary>
    public async Task HandleTimerAsync(RunTimer timer, CancellationToken cancellationToken)
    {
        var run = await runs.GetAsync(timer.RunId, cancellationToken);
        if (run is null || RunStatuses.IsTerminal(run.Status))
        {
            return;
        }

        if (timer.Kind == RunTimerKind.Offer)
        {
            if (run.Status == RunStatuses.Queued && run.OfferAttempt == timer.Attempt)
            {
                await offers.OfferAsync(run, cancellationToken);
            }

            return;
        }

        var left = run.Deadline - time.GetUtcNow();
        if (left > TimeSpan.Zero)
        {
            // Delivered early (visibility is not exact): wait for the rest.
            await timers.ScheduleAsync(timer, left, cancellationToken);
            return;
        }

        var seconds = run.TimeoutMs / 1000;
        var message = run.Status == RunStatuses.Queued
            ? $"timed out: no worker started the run within {seconds} s"
            : $"timed out: the run did not finish within {seconds} s";
        await EndAsync(run.RunId, RunStatuses.TimedOut, null, message, r => !RunStatuses.IsTerminal(r.Status), cancellationToken);
    }

    /// <summary>
    /// A worker connection went away: its running runs fail, and runs only offered to it are offered again. True when
    /// this call removed the worker row (false when it was not registered, or a racing removal got there first).
    /// </summary>
    public async Task<bool> WorkerGoneAsync(string connectionId, CancellationToken cancellationToken)
    {
        var worker = await runs.GetWorkerAsync(connectionId, cancellationToken);
        if (worker is null)
        {
            return false;
        }

        var removed = await runs.DeleteWorkerAsync(connectionId, cancellationToken);
        foreach (var runId in WorkerOffers.Split(worker.ActiveRunIds))
        {
            var run = await runs.GetAsync(runId, cancellationToken);
            if (run is null || run.WorkerConnectionId != connectionId)
            {
                continue;
            }

            if (run.Status == RunStatuses.Running)
            {
                await EndAsync(runId, RunStatuses.Failed, null, "failed: the worker disconnected mid-run",
                    r => r.Status == RunStatuses.Running && r.WorkerConnectionId == connectionId, cancellationToken);
            }
            else if (run.Status == RunStatuses.Queued)
            {
                await offers.OfferAsync(run, cancellationToken);
            }
        }

        return removed;
    }

    /// <summary>
    /// Ends a run once: the first end that passes <paramref name="may"/> wins; the rest see it ended. The session hears
    /// of it, the worker is released (and told to stop unless it reported the end), and a sub-agent's end is queued
    /// for announcement.
    /// </summary>
    private async Task<(RunRecord? Run, bool Changed)> EndAsync(
        string runId, string status, string? output, string? error, Func<RunRecord, bool> may, CancellationToken cancellationToken, bool reportedByWorker = false)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var run = await runs.GetAsync(runId, cancellationToken);
            if (run is null || !may(run))
            {
                return (run, false);
            }

            var wasRunningOn = run.WorkerConnectionId;
            run.Status = status;
            run.Output = Cut(output);
            run.Error = Cut(error);
            run.EndedAt = time.GetUtcNow();
            if (!await runs.TryReplaceAsync(run, cancellationToken))
            {
                continue;
            }

            // First, so nothing below can keep a sub-agent's end from being announced: a later step that fails is not
            // retried (the run has ended), but the announcement is its own queue message.
            if (run.Lane == RunLanes.Subagent)
            {
                await timers.ScheduleAsync(new RunTimer(run.RunId, RunTimerKind.Finished), TimeSpan.Zero, cancellationToken);
            }

            LogEnded(logger, run.RunId, run.SessionKey, status, run.Error);
            await PublishStatusAsync(run, cancellationToken);
            await (run.Status == RunStatuses.Completed
                ? chat.AppendAsync(run.SessionKey, ChatRoles.Assistant, run.Output ?? string.Empty, run.RunId, cancellationToken)
                : chat.AppendAsync(run.SessionKey, ChatRoles.System, $"run {run.Status}: {run.Error}", run.RunId, cancellationToken));
            if (wasRunningOn is not null)
            {
                if (!reportedByWorker)
                {
                    await notifier.PublishAsync(EventAudience.Connection(wasRunningOn), GatewayEvents.NodeRunCancel,
                        new NodeRunCancelEvent(run.RunId, run.Error ?? status), cancellationToken);
                }

                await offers.ReleaseAsync(wasRunningOn, run.RunId, cancellationToken);
            }

            return (run, true);
        }

        throw new InvalidOperationException($"run {runId} kept changing while ending it; the timer or caller retries");
    }

    private Task PublishStatusAsync(RunRecord run, CancellationToken cancellationToken)
        => PublishStatusAsync(run, new RunStatusEvent(run.RunId, run.SessionKey, run.Status, run.Output, run.Error, run.RequesterSessionKey), cancellationToken);

    /// <summary>To the run's session and, for a sub-agent's run, to its requester session too, so a console watching the requester follows its children.</summary>
    private async Task PublishStatusAsync(RunRecord run, RunStatusEvent status, CancellationToken cancellationToken)
    {
        await notifier.PublishAsync(EventAudience.Session(run.SessionKey), GatewayEvents.RunStatus, status, cancellationToken);
        if (run.RequesterSessionKey is { } requester)
        {
            await notifier.PublishAsync(EventAudience.Session(requester), GatewayEvents.RunStatus, status, cancellationToken);
        }
    }

    private string? Cut(string? text) => text is { Length: var n } && n > options.MaxOutputChars ? text[..options.MaxOutputChars] : text;

    private static GatewayResponse NotFound(string runId) => GatewayResponse.Invalid("run not found: " + runId, DetailCodes.RunNotFound);

    private static GatewayResponse NotOffered(RunRecord run, string kind)
        => GatewayResponse.Invalid($"{kind} refused: run {run.RunId} is {run.Status} and not offered to or running on this worker", DetailCodes.RunNotOffered,
            new { runId = run.RunId, status = run.Status });

    private static GatewayResponse Busy()
        => GatewayResponse.Failure(ErrorCodes.Unavailable, "the run kept changing; retry", new ErrorDetails(DetailCodes.ConcurrentUpdate));

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "run {RunId} in {SessionKey} queued (lane {Lane}, senderIsOwner {SenderIsOwner})")]
    private static partial void LogStarted(ILogger logger, string runId, string sessionKey, string lane, bool senderIsOwner);

    [LoggerMessage(EventId = 701, Level = LogLevel.Information, Message = "run {RunId} in {SessionKey} ended {Status} {Error}")]
    private static partial void LogEnded(ILogger logger, string runId, string sessionKey, string status, string? error);
}
