using System.Collections.Concurrent;
using FunctionsGateway.Core.Runs;
using FunctionsGateway.Core.SubAgents;

namespace FunctionsGateway.IntegrationTests.SubAgents;

/// <summary>
/// The spawn queue and run timers held in hand, so a test delivers each message when it chooses (once, twice, late).
/// The real queue adapters are tested against Azurite on their own, and end to end through the local host.
/// </summary>
public sealed class ManualQueues : ISpawnQueue, IRunTimers
{
    public ConcurrentQueue<SpawnRequest> Spawns { get; } = new();
    public ConcurrentQueue<(RunTimer Timer, TimeSpan Delay)> Timers { get; } = new();

    /// <summary>The next spawn cannot be queued (storage refuses): the accept must give its slot back.</summary>
    public bool FailNextSpawn { get; set; }

    public Task EnqueueAsync(SpawnRequest request, CancellationToken cancellationToken)
    {
        if (FailNextSpawn)
        {
            FailNextSpawn = false;
            throw new InvalidOperationException("the spawn queue is unavailable");
        }

        Spawns.Enqueue(request);
        return Task.CompletedTask;
    }

    public Task ScheduleAsync(RunTimer timer, TimeSpan delay, CancellationToken cancellationToken)
    {
        Timers.Enqueue((timer, delay));
        return Task.CompletedTask;
    }

    /// <summary>Takes every spawn queued so far.</summary>
    public List<SpawnRequest> TakeSpawns()
    {
        var taken = new List<SpawnRequest>();
        while (Spawns.TryDequeue(out var request))
        {
            taken.Add(request);
        }

        return taken;
    }

    /// <summary>Takes the timers queued so far that match <paramref name="kind"/> (others stay).</summary>
    public List<RunTimer> TakeTimers(RunTimerKind kind, string? runId = null)
    {
        var taken = new List<RunTimer>();
        var kept = new List<(RunTimer, TimeSpan)>();
        while (Timers.TryDequeue(out var entry))
        {
            if (entry.Timer.Kind == kind && (runId is null || entry.Timer.RunId == runId))
            {
                taken.Add(entry.Timer);
            }
            else
            {
                kept.Add(entry);
            }
        }

        foreach (var entry in kept)
        {
            Timers.Enqueue(entry);
        }

        return taken;
    }
}

/// <summary>Every call a spawn makes, with the scopes its connection asked for.</summary>
public sealed class RecordingCalls : ISubAgentCallObserver
{
    public ConcurrentQueue<SubAgentCall> Calls { get; } = new();

    public void OnCall(SubAgentCall call) => Calls.Enqueue(call);
}

/// <summary>The reference gateway's policy, for the counterfactual: pair at the least privilege of the run, ask per call.</summary>
public sealed class LeastPrivilegePolicy : ISubAgentScopePolicy
{
    public Protocol.ScopeSet FirstAdmission => Protocol.GatewayMethods.LeastPrivilege(Protocol.GatewayMethods.Agent);

    public Protocol.ScopeSet For(string method) => Protocol.GatewayMethods.LeastPrivilege(method);
}
