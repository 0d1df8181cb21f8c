using FunctionsGateway.Protocol;

namespace FunctionsGateway.Client;

/// <summary>
/// One run's state on one connection. Whoever ends it first decides what is reported, exactly once: the run's own
/// processing (<see cref="TryEnd"/>: it reports the delegate's outcome), or someone else (<see cref="End"/>: a timeout or
/// a stop, reported as failed; a cancel or a lost connection, reported not at all).
/// </summary>
internal sealed class WorkerRun(NodeRunEvent run) : IDisposable
{
    private readonly Lock gate = new();
    private readonly CancellationTokenSource cancellation = new();
    private readonly TaskCompletionSource endedElsewhere = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool ended;
    private bool disposed;

    public NodeRunEvent Event { get; } = run;

    /// <summary>Cancelled when the run is ended from outside; the delegate and the wait for a slot observe it.</summary>
    public CancellationToken Token => cancellation.Token;

    /// <summary>Completes when <see cref="End"/> ended the run.</summary>
    public Task EndedElsewhere => endedElsewhere.Task;

    /// <summary>Why <see cref="End"/> ended it.</summary>
    public string? EndReason { get; private set; }

    /// <summary>Whether that end must be reported to the gateway as <c>failed</c> with <see cref="EndReason"/>.</summary>
    public bool ReportEnd { get; private set; }

    /// <summary>The run's processing, awaited by a stop.</summary>
    public Task Processing { get; set; } = Task.CompletedTask;

    public bool IsEnded
    {
        get
        {
            lock (gate)
            {
                return ended;
            }
        }
    }

    /// <summary>The processing's own end; true when it came first (and so reports the outcome).</summary>
    public bool TryEnd()
    {
        lock (gate)
        {
            if (ended)
            {
                return false;
            }

            ended = true;
            return true;
        }
    }

    /// <summary>Ends the run from outside and cancels its delegate; false when it had already ended.</summary>
    public bool End(string reason, bool report)
    {
        lock (gate)
        {
            if (ended || disposed)
            {
                return false;
            }

            ended = true;
            EndReason = reason;
            ReportEnd = report;
            try
            {
                cancellation.Cancel();
            }
            catch (AggregateException)
            {
                // A delegate's cancellation callback threw: the run is ended all the same.
            }
        }

        endedElsewhere.TrySetResult();
        return true;
    }

    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            cancellation.Dispose();
        }
    }
}
