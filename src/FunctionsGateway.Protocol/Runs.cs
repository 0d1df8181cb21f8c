using System.Text.Json.Serialization;

namespace FunctionsGateway.Protocol;

/// <summary>Run states: <c>queued</c> → <c>running</c> → one terminal state.</summary>
public static class RunStatuses
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string TimedOut = "timed-out";
    public const string Aborted = "aborted";

    public static bool IsTerminal(string status) => status is Completed or Failed or TimedOut or Aborted;
}

/// <summary>Which lane a run belongs to: a session's own work, or a spawned sub-agent's.</summary>
public static class RunLanes
{
    public const string Main = "main";
    public const string Subagent = "subagent";
}

/// <summary><c>node.event</c> kinds a worker reports.</summary>
public static class NodeEventKinds
{
    /// <summary>Optional, once after connect: the agent ids this worker serves (all, when never sent).</summary>
    public const string Ready = "ready";
    public const string Started = "started";
    public const string Progress = "progress";
    public const string Completed = "completed";
    public const string Failed = "failed";
}

/// <summary>Session keys: <c>agent:&lt;agentId&gt;:main</c> and <c>agent:&lt;agentId&gt;:subagent:&lt;uuid&gt;</c>.</summary>
public static class SessionKeys
{
    public const string DefaultAgentId = "main";

    public static string Main(string agentId) => $"agent:{agentId}:main";

    public static string Subagent(string agentId, Guid id) => $"agent:{agentId}:subagent:{id:N}";

    /// <summary>Parses a key; agent ids are 1–64 of <c>[a-z0-9_-]</c>, sub-agent ids 32 lowercase hex.</summary>
    public static bool TryParse(string? key, out string agentId, out bool isMain)
    {
        agentId = string.Empty;
        isMain = false;
        if (key is null || key.Length > 128)
        {
            return false;
        }

        var parts = key.Split(':');
        if (parts.Length < 3 || parts[0] != "agent" || !IsAgentId(parts[1]))
        {
            return false;
        }

        if (parts.Length == 3 && parts[2] == "main")
        {
            (agentId, isMain) = (parts[1], true);
            return true;
        }

        if (parts.Length == 4 && parts[2] == "subagent" && parts[3].Length == 32 && parts[3].All(c => char.IsAsciiHexDigitLower(c) || char.IsAsciiDigit(c)))
        {
            agentId = parts[1];
            return true;
        }

        return false;
    }

    public static bool IsAgentId(string? id)
        => id is { Length: > 0 and <= 64 } && id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_');
}

/// <summary>To one worker: run this. <c>senderIsOwner</c> is true only when the call that started it held operator.admin.</summary>
public sealed record NodeRunEvent(
    [property: JsonPropertyName("runId")] string RunId,
    [property: JsonPropertyName("sessionKey")] string SessionKey,
    [property: JsonPropertyName("agentId")] string AgentId,
    [property: JsonPropertyName("task")] string Task,
    [property: JsonPropertyName("lane")] string Lane,
    [property: JsonPropertyName("model")] string? Model,
    [property: JsonPropertyName("timeoutMs")] long TimeoutMs,
    [property: JsonPropertyName("senderIsOwner")] bool SenderIsOwner);

/// <summary>To the worker of a run: stop it.</summary>
public sealed record NodeRunCancelEvent(
    [property: JsonPropertyName("runId")] string RunId,
    [property: JsonPropertyName("reason")] string Reason);

/// <summary>Params of <c>node.event</c>.</summary>
public sealed class NodeEventParams
{
    [JsonPropertyName("runId")] public string? RunId { get; set; }
    [JsonPropertyName("kind")] public string? Kind { get; set; }
    [JsonPropertyName("output")] public string? Output { get; set; }
    [JsonPropertyName("error")] public string? Error { get; set; }
    [JsonPropertyName("agentIds")] public string[]? AgentIds { get; set; }
}

/// <summary>To a session's subscribers: a run of that session changed state.</summary>
public sealed record RunStatusEvent(
    [property: JsonPropertyName("runId")] string RunId,
    [property: JsonPropertyName("sessionKey")] string SessionKey,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("output")] string? Output = null,
    [property: JsonPropertyName("error")] string? Error = null,
    [property: JsonPropertyName("requesterSessionKey")] string? RequesterSessionKey = null);

/// <summary>One chat history entry.</summary>
public sealed record ChatMessage(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("runId")] string? RunId,
    [property: JsonPropertyName("ts")] long Ts);

/// <summary>Chat roles: who wrote an entry.</summary>
public static class ChatRoles
{
    public const string User = "user";
    public const string Assistant = "assistant";
    public const string Subagent = "subagent";
    public const string System = "system";
}

/// <summary>To a session's subscribers: a new chat entry.</summary>
public sealed record ChatEvent(
    [property: JsonPropertyName("sessionKey")] string SessionKey,
    [property: JsonPropertyName("message")] ChatMessage Message);

/// <summary>To the requester session's subscribers: a sub-agent ended, whatever its status.</summary>
public sealed record SubagentCompletedEvent(
    [property: JsonPropertyName("requesterSessionKey")] string RequesterSessionKey,
    [property: JsonPropertyName("childSessionKey")] string ChildSessionKey,
    [property: JsonPropertyName("runId")] string RunId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("output")] string? Output,
    [property: JsonPropertyName("error")] string? Error = null,
    [property: JsonPropertyName("cleanup")] string? Cleanup = null);

/// <summary>To the requester session's subscribers: the child session of a <c>cleanup: delete</c> spawn is gone, and its identity with it.</summary>
public sealed record SubagentDeletedEvent(
    [property: JsonPropertyName("requesterSessionKey")] string RequesterSessionKey,
    [property: JsonPropertyName("childSessionKey")] string ChildSessionKey,
    [property: JsonPropertyName("runId")] string RunId);

/// <summary>To the requester session's subscribers: a spawn was accepted; its child session and run follow from the queue.</summary>
public sealed record SubagentSpawnedEvent(
    [property: JsonPropertyName("requesterSessionKey")] string RequesterSessionKey,
    [property: JsonPropertyName("childSessionKey")] string ChildSessionKey,
    [property: JsonPropertyName("runId")] string RunId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("agentId")] string AgentId,
    [property: JsonPropertyName("label")] string? Label,
    [property: JsonPropertyName("cleanup")] string Cleanup,
    [property: JsonPropertyName("ts")] long Ts);

/// <summary>The status a spawn is in from its answer until the spawn function has created its run.</summary>
public static class SpawnStatuses
{
    public const string Accepted = "accepted";
}

/// <summary>The answer of <c>sessions.spawn</c>: accepted at once; the child starts from the spawn queue.</summary>
public sealed record SpawnAccepted(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("runId")] string RunId,
    [property: JsonPropertyName("childSessionKey")] string ChildSessionKey);

/// <summary>What to do with a sub-agent's child session once its run has ended.</summary>
public static class SpawnCleanup
{
    public const string Keep = "keep";
    public const string Delete = "delete";
}
