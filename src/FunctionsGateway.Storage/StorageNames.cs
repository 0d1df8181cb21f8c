namespace FunctionsGateway.Storage;

/// <summary>Table and queue names: the attributes, the code, the local host and Bicep all use these.</summary>
public static class StorageNames
{
    public const string DevicesTable = "GatewayDevices";
    public const string PairingRequestsTable = "GatewayPairingRequests";
    public const string ConnectionsTable = "GatewayConnections";
    public const string AuditTable = "GatewayAudit";

    public static readonly IReadOnlyList<string> AllTables =
        [DevicesTable, PairingRequestsTable, ConnectionsTable, AuditTable];

    /// <summary>Deferred connection closes (after a NOT_PAIRED answer has reached the client).</summary>
    public const string CloseQueue = "gateway-close";

    /// <summary>Sub-agent spawn requests.</summary>
    public const string SpawnQueue = "gateway-spawn";

    public static readonly IReadOnlyList<string> AllQueues = [CloseQueue, SpawnQueue];
}

/// <summary>Row keys inside a device's partition (PartitionKey = deviceId), so one device is one transaction scope.</summary>
internal static class DeviceRows
{
    public const string Device = "device";
    public const string Pending = "pending";
    public const string Internal = "internal";
    public const string TokenPrefix = "token:";
    public const string ConnectionPrefix = "conn:";

    /// <summary>Partition listing every paired device, for <c>device.pair.list</c> without a table scan.</summary>
    public const string DirectoryPartition = "~directory";

    public static string Token(string role) => TokenPrefix + role;

    public static string Connection(string connectionId) => ConnectionPrefix + connectionId;

    /// <summary>Upper bound for a RowKey range query over one prefix.</summary>
    public static string PrefixEnd(string prefix) => prefix[..^1] + (char)(prefix[^1] + 1);
}
