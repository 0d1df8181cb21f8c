namespace FunctionsGateway.Core.Runs;

/// <summary>
/// One run of a session's agent, executed by an agent worker. Every change is a conditional write under
/// <see cref="Version"/>, so two workers, a timeout and an abort can race without a lost update.
/// </summary>
public sealed class RunRecord
{
    public string RunId { get; set; } = string.Empty;
    public string SessionKey { get; set; } = string.Empty;
    public string AgentId { get; set; } = string.Empty;
    public string Lane { get; set; } = string.Empty;
    public string Task { get; set; } = string.Empty;
    public string? Model { get; set; }
    public long TimeoutMs { get; set; }
    public string Status { get; set; } = string.Empty;

    /// <summary>The device whose call started the run.</summary>
    public string CallerDeviceId { get; set; } = string.Empty;

    /// <summary>True only when the call that started the run held operator.admin.</summary>
    public bool SenderIsOwner { get; set; }

    /// <summary>The worker connection the run is offered to (queued) or running on.</summary>
    public string? WorkerConnectionId { get; set; }

    public string? WorkerDeviceId { get; set; }

    /// <summary>Worker connections already offered this run, comma-separated, so a re-offer tries someone else.</summary>
    public string OfferedTo { get; set; } = string.Empty;

    public int OfferAttempt { get; set; }
    public string? Output { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>For a sub-agent's run: where it is announced, and what happens to its child session afterwards.</summary>
    public string? RequesterSessionKey { get; set; }

    public string? Cleanup { get; set; }
    public string? SubagentDeviceId { get; set; }

    /// <summary>The end was announced to the requester / the cleanup was done (idempotency across redelivery).</summary>
    public bool Announced { get; set; }

    public bool CleanedUp { get; set; }

    public string? Version { get; set; }

    public DateTimeOffset Deadline => CreatedAt.AddMilliseconds(TimeoutMs);
}

/// <summary>A connected agent worker (a <c>node</c> connection) and what it serves.</summary>
public sealed class WorkerRecord
{
    public string ConnectionId { get; set; } = string.Empty;
    public string DeviceId { get; set; } = string.Empty;

    /// <summary>Comma-separated agent ids it serves; empty means all.</summary>
    public string AgentIds { get; set; } = string.Empty;

    public DateTimeOffset ConnectedAt { get; set; }

    /// <summary>When it was last offered a run: the least recent goes first, which spreads runs fairly.</summary>
    public DateTimeOffset LastOfferedAt { get; set; }

    /// <summary>Runs currently offered to or running on it, comma-separated.</summary>
    public string ActiveRunIds { get; set; } = string.Empty;

    public string? Version { get; set; }

    public bool Serves(string agentId)
        => AgentIds.Length == 0 || AgentIds.Split(',').Contains(agentId, StringComparer.Ordinal);
}
