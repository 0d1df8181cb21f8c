using FunctionsGateway.Protocol;

namespace FunctionsGateway.Client;

/// <summary>What an <see cref="AgentWorkerHost"/> serves and how many runs it runs at once.</summary>
public sealed class AgentWorkerOptions
{
    /// <summary>
    /// The agent ids this worker serves; empty: every agent. When set, the host sends <c>node.event {kind:"ready", agentIds}</c>
    /// after each connect, and ignores an offer for any other agent (one can arrive before the gateway has read the ready).
    /// </summary>
    public IList<string> AgentIds { get; set; } = [];

    /// <summary>
    /// How many runs execute at once (default 1). An offer beyond it waits, unclaimed, for a free slot; the gateway may
    /// meanwhile offer it to another worker, and the late claim is then refused and the run dropped.
    /// </summary>
    public int MaxConcurrentRuns { get; set; } = 1;

    /// <summary>A copy, so a caller's later changes do not affect a running host.</summary>
    public AgentWorkerOptions Clone() => new() { AgentIds = [.. AgentIds], MaxConcurrentRuns = MaxConcurrentRuns };

    /// <summary>Throws <see cref="ArgumentException"/> for a value the host or the gateway would refuse.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentRuns, 1, nameof(MaxConcurrentRuns));
        foreach (var id in AgentIds)
        {
            if (!SessionKeys.IsAgentId(id))
            {
                throw new ArgumentException($"not an agent id: '{id}' (1-64 of a-z, 0-9, '-', '_')", nameof(AgentIds));
            }
        }
    }
}
