namespace FunctionsGateway.Core.Runs;

/// <summary>Runs by run id, and the registry of connected workers.</summary>
public interface IRunStore
{
    Task<RunRecord?> GetAsync(string runId, CancellationToken cancellationToken);

    /// <summary>Adds the run; false when a run with that id exists.</summary>
    Task<bool> TryCreateAsync(RunRecord run, CancellationToken cancellationToken);

    /// <summary>Replaces the run under the version it was read with (refreshing it); false on a lost race.</summary>
    Task<bool> TryReplaceAsync(RunRecord run, CancellationToken cancellationToken);

    Task<WorkerRecord?> GetWorkerAsync(string connectionId, CancellationToken cancellationToken);

    Task<IReadOnlyList<WorkerRecord>> ListWorkersAsync(CancellationToken cancellationToken);

    /// <summary>Adds the worker, or with a version replaces it under that version; false on a lost race.</summary>
    Task<bool> TrySaveWorkerAsync(WorkerRecord worker, CancellationToken cancellationToken);

    /// <summary>Removes the worker; false when it was already gone (someone else removed it first).</summary>
    Task<bool> DeleteWorkerAsync(string connectionId, CancellationToken cancellationToken);
}

/// <summary>What a run timer asks for when it fires.</summary>
public enum RunTimerKind
{
    /// <summary>The offer to one worker lapsed: if nobody started the run, offer it to the next.</summary>
    Offer,

    /// <summary>The run's timeout: if it has not ended, it is timed out.</summary>
    Deadline,

    /// <summary>A sub-agent's run ended: announce it to the requester and clean up.</summary>
    Finished,
}

public sealed record RunTimer(string RunId, RunTimerKind Kind, int Attempt = 0);

/// <summary>
/// Delayed work for runs. On Functions no process lives on, so a timer is a queue message that becomes visible at
/// its time; it is idempotent, since it may be delivered twice or late.
/// </summary>
public interface IRunTimers
{
    Task ScheduleAsync(RunTimer timer, TimeSpan delay, CancellationToken cancellationToken);
}
