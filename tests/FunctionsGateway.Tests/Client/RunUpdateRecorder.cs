using FunctionsGateway.Client;

namespace FunctionsGateway.Tests.Client;

/// <summary>Collects an <see cref="AgentWorkerHost"/>'s run updates and lets a test await one without polling.</summary>
internal sealed class RunUpdateRecorder
{
    private readonly Lock gate = new();
    private readonly List<AgentRunUpdate> updates = [];
    private readonly List<(Func<AgentRunUpdate, bool> Match, TaskCompletionSource<AgentRunUpdate> Seen)> waiters = [];

    public RunUpdateRecorder(AgentWorkerHost host) => host.RunUpdated += Add;

    public IReadOnlyList<AgentRunUpdate> Updates
    {
        get
        {
            lock (gate)
            {
                return [.. updates];
            }
        }
    }

    public IReadOnlyList<AgentRunPhase> PhasesOf(string runId) => [.. Updates.Where(u => u.Run.RunId == runId).Select(u => u.Phase)];

    /// <summary>The first update (already seen or yet to come) of <paramref name="runId"/> in one of <paramref name="phases"/>.</summary>
    public Task<AgentRunUpdate> WaitAsync(string runId, params AgentRunPhase[] phases)
    {
        bool Match(AgentRunUpdate u) => u.Run.RunId == runId && phases.Contains(u.Phase);
        lock (gate)
        {
            if (updates.FirstOrDefault(Match) is { } seen)
            {
                return Task.FromResult(seen);
            }

            var waiter = new TaskCompletionSource<AgentRunUpdate>(TaskCreationOptions.RunContinuationsAsynchronously);
            waiters.Add((Match, waiter));
            return waiter.Task;
        }
    }

    /// <summary>The update that ended <paramref name="runId"/> on this worker.</summary>
    public Task<AgentRunUpdate> WaitForEndAsync(string runId)
        => WaitAsync(runId, AgentRunPhase.Completed, AgentRunPhase.Failed, AgentRunPhase.Cancelled, AgentRunPhase.Refused);

    private void Add(AgentRunUpdate update)
    {
        lock (gate)
        {
            updates.Add(update);
            foreach (var waiter in waiters.Where(w => w.Match(update)).ToList())
            {
                waiters.Remove(waiter);
                waiter.Seen.TrySetResult(update);
            }
        }
    }
}
