namespace FunctionsGateway.Storage;

/// <summary>A decided request, remembered for a while (PartitionKey "resolved", RowKey = requestId).</summary>
public sealed class ResolvedRequestEntity : EntityBase
{
    public const string Partition = "resolved";

    public string DeviceId { get; set; } = string.Empty;
    public string Decision { get; set; } = string.Empty;
    public DateTimeOffset ResolvedAt { get; set; }
}

/// <summary>
/// The live pending requests counted under one scope (PartitionKey "~limits", RowKey "gateway" or "addr:{key}").
/// <see cref="Entries"/> packs each as 16 bytes of request id and 4 bytes of expiry (Unix seconds, big-endian), so the
/// largest gateway cap fits one binary property.
/// </summary>
public sealed class PendingLedgerEntity : EntityBase
{
    public const string Partition = "~limits";
    public const string AddressPrefix = "addr:";

    public byte[] Entries { get; set; } = [];

    /// <summary>How many entries <see cref="Entries"/> holds (for people reading the table).</summary>
    public int Count { get; set; }

    /// <summary>When the last entry stops counting: an address row past it is stale as a whole and the sweep deletes it.</summary>
    public DateTimeOffset LastExpiresAt { get; set; }

    public DateTimeOffset WindowStart { get; set; }
    public int WindowEvents { get; set; }
}

/// <summary>
/// A committed decision whose follow-ups may not have run (device partition, RowKey <c>decision:{id}</c>); written in
/// the decision's own transaction and deleted once its follow-ups ran.
/// </summary>
public sealed class PairingDecisionEntity : EntityBase
{
    public string Action { get; set; } = string.Empty;
    public string Decision { get; set; } = string.Empty;
    public string? RequestId { get; set; }
    public string Actor { get; set; } = string.Empty;
    public string Role { get; set; } = string.Empty;
    public string ScopesFrom { get; set; } = string.Empty;
    public string ScopesTo { get; set; } = string.Empty;
    public string Reason { get; set; } = string.Empty;
    public string? ClientAddress { get; set; }
    public DateTimeOffset DecidedAt { get; set; }
}
