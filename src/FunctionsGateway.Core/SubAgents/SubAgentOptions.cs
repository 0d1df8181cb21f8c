namespace FunctionsGateway.Core.SubAgents;

/// <summary>The <c>Gateway:SubAgents</c> section (<c>Gateway__SubAgents__*</c> settings): the spawn limits.</summary>
public sealed class SubAgentOptions
{
    public const string Section = "Gateway:SubAgents";

    /// <summary>
    /// Agent ids a session may spawn, comma-separated; <c>*</c> for any. Empty (the default): only the requester's own agent.
    /// </summary>
    public string AllowedAgentIds { get; set; } = string.Empty;

    /// <summary>Deepest child: a main session is depth 0, its children 1, theirs 2.</summary>
    public int MaxDepth { get; set; } = 2;

    /// <summary>Children of one session whose run has not ended yet.</summary>
    public int MaxActiveChildren { get; set; } = 10;

    /// <summary>Children one session may spawn over its lifetime.</summary>
    public int MaxChildrenPerSession { get; set; } = 100;

    public bool MayUse(string requesterAgentId, string agentId)
        => agentId == requesterAgentId || AllowedAgentIds.Trim() == "*"
            || AllowedAgentIds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Contains(agentId, StringComparer.Ordinal);
}

/// <summary>What the spawn queue carries: everything the spawn function needs, decided and limited when it was accepted.</summary>
public sealed record SpawnRequest(
    string RunId,
    string RequesterSessionKey,
    string ChildSessionKey,
    string AgentId,
    string Task,
    string? Label,
    string? Model,
    int? RunTimeoutSeconds,
    string Cleanup,
    int Depth,
    string RequestedBy);

/// <summary>The spawn queue: the accepted spawn runs in its own function, off the caller's request.</summary>
public interface ISpawnQueue
{
    Task EnqueueAsync(SpawnRequest request, CancellationToken cancellationToken);
}
