namespace FunctionsGateway.Storage;

/// <summary>Table and queue names: the attributes, the code, the local host and Bicep all use these.</summary>
public static class StorageNames
{
    public const string DevicesTable = "GatewayDevices";
    public const string PairingRequestsTable = "GatewayPairingRequests";
    public const string ConnectionsTable = "GatewayConnections";
    public const string AuditTable = "GatewayAudit";

    /// <summary>Sessions, their children, spawn reservations and chat, one partition per session.</summary>
    public const string SessionsTable = "GatewaySessions";

    /// <summary>Runs (one partition per run) and the registry of connected workers.</summary>
    public const string RunsTable = "GatewayRuns";

    public static readonly IReadOnlyList<string> AllTables =
        [DevicesTable, PairingRequestsTable, ConnectionsTable, AuditTable, SessionsTable, RunsTable];

    /// <summary>Deferred connection closes (after a NOT_PAIRED answer has reached the client).</summary>
    public const string CloseQueue = "gateway-close";

    /// <summary>Sub-agent spawn requests.</summary>
    public const string SpawnQueue = "gateway-spawn";

    /// <summary>Run timers (lapsed offers, deadlines, finished sub-agent runs), each visible at its time.</summary>
    public const string RunsQueue = "gateway-runs";

    public static readonly IReadOnlyList<string> AllQueues = [CloseQueue, SpawnQueue, RunsQueue];
}

/// <summary>Row keys inside a device's partition (PartitionKey = deviceId), so one device is one transaction scope.</summary>
internal static class DeviceRows
{
    public const string Device = "device";
    public const string Pending = "pending";
    public const string Internal = "internal";
    public const string TokenPrefix = "token:";
    public const string ConnectionPrefix = "conn:";

    /// <summary>A committed decision whose follow-ups are unfinished (PairingDecisionEntity).</summary>
    public const string DecisionPrefix = "decision:";

    /// <summary>Partition listing every paired device, for <c>device.pair.list</c> without a table scan.</summary>
    public const string DirectoryPartition = "~directory";

    public static string Token(string role) => TokenPrefix + role;

    public static string Connection(string connectionId) => ConnectionPrefix + connectionId;

    public static string Decision(string decisionId) => DecisionPrefix + decisionId;

    /// <summary>Upper bound for a RowKey range query over one prefix.</summary>
    public static string PrefixEnd(string prefix) => prefix[..^1] + (char)(prefix[^1] + 1);
}

/// <summary>
/// Row keys of <see cref="StorageNames.SessionsTable"/>: one partition per session key, so a session, its children and
/// its reservations are one transaction scope; plus the directory partition that lists sessions newest first.
/// </summary>
internal static class SessionRows
{
    public const string Session = "session";
    public const string ChildPrefix = "child:";
    public const string SpawnPrefix = "spawn:";
    public const string ChatPrefix = "chat:";

    /// <summary>Lists stored sessions newest first without a table scan; '~' sorts after every session key ("agent:…").</summary>
    public const string DirectoryPartition = "~sessions";

    private static readonly long MaxUnixMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    public static string Child(string childSessionKey) => ChildPrefix + childSessionKey;

    public static string Spawn(string idempotencyKey) => SpawnPrefix + idempotencyKey;

    /// <summary>
    /// <c>chat:{inverted ticks, 19 digits}-{guid}</c>: newest first in key order, so the latest entries are the first
    /// rows of the range and a history read never pages through older ones.
    /// </summary>
    public static string Chat(long ticks, Guid id) => $"{ChatPrefix}{DateTime.MaxValue.Ticks - ticks:D19}-{id:N}";

    /// <summary>
    /// <c>{inverted creation time in ms, 19 digits}_{sessionKey}</c>: newest first. Milliseconds, because that much of a
    /// stored time survives a round trip everywhere, so the key can be derived again from the session row.
    /// </summary>
    public static string Directory(string sessionKey, DateTimeOffset createdAt)
        => $"{MaxUnixMs - Math.Max(0, createdAt.ToUnixTimeMilliseconds()):D19}_{sessionKey}";
}

/// <summary>Row keys of <see cref="StorageNames.RunsTable"/>: PartitionKey = runId with one row, plus the workers' partition.</summary>
internal static class RunRows
{
    public const string Run = "run";

    /// <summary>Every connected worker, RowKey = connection id: listing them is one partition query.</summary>
    public const string WorkersPartition = "~workers";
}

/// <summary>What Table Storage accepts as a PartitionKey or RowKey.</summary>
internal static class TableKeys
{
    /// <summary>1 KiB of UTF-16.</summary>
    public const int MaxLength = 512;

    /// <summary>Non-empty, at most 512 characters, none of <c>/ \ # ?</c> or a control character.</summary>
    public static bool IsValid(string? key)
        => key is { Length: > 0 and <= MaxLength } && !key.Any(c => c is '/' or '\\' or '#' or '?' || char.IsControl(c));

    /// <summary>A key the gateway writes: valid, and not one of its own partitions ('~…').</summary>
    public static string Require(string key, string what)
        => IsValid(key) && !key.StartsWith('~') ? key : throw new ArgumentException($"{what} is not a usable table key: '{key}'", what);
}
