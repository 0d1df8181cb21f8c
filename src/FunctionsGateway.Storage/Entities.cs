using Azure;
using Azure.Data.Tables;

namespace FunctionsGateway.Storage;

public abstract class EntityBase : ITableEntity
{
    public string PartitionKey { get; set; } = string.Empty;
    public string RowKey { get; set; } = string.Empty;
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }
}

/// <summary>A paired device: its key, pinned metadata and approved baseline.</summary>
public sealed class DeviceEntity : EntityBase
{
    public string PublicKey { get; set; } = string.Empty;
    public string Roles { get; set; } = string.Empty;
    public string Scopes { get; set; } = string.Empty;
    public string Platform { get; set; } = string.Empty;
    public string DeviceFamily { get; set; } = string.Empty;
    public string ClientId { get; set; } = string.Empty;
    public bool IsInternal { get; set; }
    public string? BoundSessionKey { get; set; }
    public DateTimeOffset PairedAt { get; set; }
    public DateTimeOffset? LastSeenAt { get; set; }
}

/// <summary>A device token for one role, stored only as a SHA-256 hash.</summary>
public sealed class DeviceTokenEntity : EntityBase
{
    public string Role { get; set; } = string.Empty;
    public string? TokenHash { get; set; }
    public string Scopes { get; set; } = string.Empty;
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RotatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }

    /// <summary>An approval or rotation asked for a fresh token; it is minted and shown at the device's next connect.</summary>
    public bool IssuePending { get; set; }

    public bool IsActive => TokenHash is not null && RevokedAt is null;
}

/// <summary>The one pending pairing request of a device.</summary>
public sealed class PendingRequestEntity : EntityBase
{
    public string RequestId { get; set; } = string.Empty;
    public string Reason { get; set; } = string.Empty;
    public string Role { get; set; } = string.Empty;
    public string RequestedScopes { get; set; } = string.Empty;
    public string ApprovedScopes { get; set; } = string.Empty;
    public string PublicKey { get; set; } = string.Empty;
    public string Platform { get; set; } = string.Empty;
    public string DeviceFamily { get; set; } = string.Empty;
    public string ClientId { get; set; } = string.Empty;
    public string ClientMode { get; set; } = string.Empty;
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public string? ClientAddress { get; set; }
}

/// <summary>Lookup by request id (PartitionKey "pending", RowKey = requestId): lists and resolves without a scan.</summary>
public sealed class PendingIndexEntity : EntityBase
{
    public const string Partition = "pending";

    public string DeviceId { get; set; } = string.Empty;
    public string Reason { get; set; } = string.Empty;
    public string Role { get; set; } = string.Empty;
    public string RequestedScopes { get; set; } = string.Empty;
    public string ApprovedScopes { get; set; } = string.Empty;
    public string ClientId { get; set; } = string.Empty;
    public string Platform { get; set; } = string.Empty;
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public string? ClientAddress { get; set; }
}

/// <summary>Marks an identity our own code created (a sub-agent), the only kind that may pair silently, once.</summary>
public sealed class InternalIdentityEntity : EntityBase
{
    public string? BoundSessionKey { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A live connection of a device (RowKey conn:{id}), so revocation can find and close it.</summary>
public sealed class ConnectionIndexEntity : EntityBase
{
    public string Role { get; set; } = string.Empty;
    public DateTimeOffset AdmittedAt { get; set; }
}

/// <summary>One SignalR connection (PartitionKey = connection id): its challenge, then its admitted identity and scopes.</summary>
public sealed class ConnectionEntity : EntityBase
{
    public int State { get; set; }
    public string? SpentNonces { get; set; }
    public DateTimeOffset? NonceExpiresAt { get; set; }
    public string? DeviceId { get; set; }
    public string? Role { get; set; }
    public int ScopeMask { get; set; }
    public string? ClientId { get; set; }
    public bool IsInternal { get; set; }
    public string? BoundSessionKey { get; set; }
    public DateTimeOffset? AdmittedAt { get; set; }
    public string? ClosedReason { get; set; }
    public int AdmissionAttempts { get; set; }

    /// <summary>The service that holds the connection (its endpoint), so a sweep asks only the service that can answer.</summary>
    public string? Service { get; set; }
}

/// <summary>One audit row: reason, device, scopesFrom → scopesTo, actor, time.</summary>
public sealed class AuditEntity : EntityBase
{
    public string Action { get; set; } = string.Empty;
    public string? Reason { get; set; }
    public string DeviceId { get; set; } = string.Empty;
    public string? RequestId { get; set; }
    public string? Role { get; set; }
    public string ScopesFrom { get; set; } = string.Empty;
    public string ScopesTo { get; set; } = string.Empty;
    public string Actor { get; set; } = string.Empty;
    public DateTimeOffset At { get; set; }
}

/// <summary>A stored session (PartitionKey = session key, RowKey <c>session</c>) with its child counters.</summary>
public sealed class SessionEntity : EntityBase
{
    public string AgentId { get; set; } = string.Empty;
    public string? Label { get; set; }
    public string? Model { get; set; }
    public string? SpawnedBy { get; set; }
    public int Depth { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public int ActiveChildren { get; set; }
    public int LifetimeChildren { get; set; }
    public string? SpawnRunId { get; set; }
    public string? OwnerDeviceId { get; set; }
    public string? Cleanup { get; set; }
}

/// <summary>One child of a session (RowKey <c>child:{childSessionKey}</c>): the run that spawned it and how it ended.</summary>
public sealed class SessionChildEntity : EntityBase
{
    public string ChildSessionKey { get; set; } = string.Empty;
    public string RunId { get; set; } = string.Empty;
    public string Status { get; set; } = string.Empty;
    public string? Label { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A spawn accepted for an idempotency key (RowKey <c>spawn:{idempotencyKey}</c>).</summary>
public sealed class SpawnReservationEntity : EntityBase
{
    public string RunId { get; set; } = string.Empty;
    public string ChildSessionKey { get; set; } = string.Empty;
}

/// <summary>
/// A pointer in the session directory (PartitionKey <c>~sessions</c>, RowKey = inverted creation time + key). It holds
/// no copy of the session: a listing reads the session rows, so it is never stale.
/// </summary>
public sealed class SessionDirectoryEntity : EntityBase
{
    public string SessionKey { get; set; } = string.Empty;
}

/// <summary>A connected agent worker (PartitionKey <c>~workers</c>, RowKey = connection id).</summary>
public sealed class WorkerEntity : EntityBase
{
    public string DeviceId { get; set; } = string.Empty;
    public string AgentIds { get; set; } = string.Empty;
    public DateTimeOffset ConnectedAt { get; set; }
    public DateTimeOffset LastOfferedAt { get; set; }
    public string ActiveRunIds { get; set; } = string.Empty;
}
