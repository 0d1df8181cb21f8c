namespace FunctionsGateway.Core.Sessions;

/// <summary>
/// A session: a main session (<c>agent:&lt;id&gt;:main</c>, which exists without being created) or a sub-agent's
/// child session. Its child counters are what the spawn limits are checked against.
/// </summary>
public sealed class SessionRecord
{
    public string SessionKey { get; set; } = string.Empty;
    public string AgentId { get; set; } = string.Empty;
    public string? Label { get; set; }
    public string? Model { get; set; }

    /// <summary>The requester session that spawned this one (null for a main session).</summary>
    public string? SpawnedBy { get; set; }

    public int Depth { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Children whose run has not ended yet.</summary>
    public int ActiveChildren { get; set; }

    /// <summary>Every child ever spawned from this session.</summary>
    public int LifetimeChildren { get; set; }

    /// <summary>For a child session: the spawn's run, and the sub-agent identity that owns it.</summary>
    public string? SpawnRunId { get; set; }

    public string? OwnerDeviceId { get; set; }

    /// <summary>For a child session: <c>keep</c> or <c>delete</c> once its run has ended.</summary>
    public string? Cleanup { get; set; }

    /// <summary>False for a main session that has never been written: it exists implicitly.</summary>
    public bool Stored { get; set; }

    /// <summary>The store's opaque version (an ETag).</summary>
    public string? Version { get; set; }

    public static SessionRecord ImplicitMain(string sessionKey, string agentId) => new()
    {
        SessionKey = sessionKey,
        AgentId = agentId,
        Depth = 0,
    };
}

/// <summary>One child of a session: which run spawned it and how it ended.</summary>
public sealed class SessionChildRecord
{
    public string SessionKey { get; set; } = string.Empty;
    public string ChildSessionKey { get; set; } = string.Empty;
    public string RunId { get; set; } = string.Empty;
    public string Status { get; set; } = string.Empty;
    public string? Label { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string? Version { get; set; }
}

/// <summary>A spawn already accepted for an idempotency key: a retry gets the same run and child.</summary>
public sealed record SpawnReservation(string RunId, string ChildSessionKey);
