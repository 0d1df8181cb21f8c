namespace FunctionsGateway.Core.Pairing;

/// <summary>
/// A row of one device's records. All rows of a device commit together or not at all, and every conditional write
/// names the <see cref="Version"/> it read, so a concurrent decision is never lost.
/// </summary>
public abstract class DeviceRow
{
    public string DeviceId { get; set; } = string.Empty;

    /// <summary>The store's opaque version (an ETag); null for a row not read from the store.</summary>
    public string? Version { get; set; }
}

/// <summary>A paired device: its key, pinned metadata and approved baseline.</summary>
public sealed class DeviceRecord : DeviceRow
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
public sealed class DeviceTokenRecord : DeviceRow
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
public sealed class PendingRequestRecord : DeviceRow
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

    /// <summary>The client address key it is counted under (<see cref="ClientAddress"/>); null when unknown.</summary>
    public string? ClientAddress { get; set; }
}

/// <summary>
/// A committed decision whose follow-ups (audit row, index, directory, event) may not have run yet: written in the same
/// atomic commit as the decision, deleted once they all ran, so a decision whose caller never heard the answer is
/// finished by a retry or by the sweep.
/// </summary>
public sealed class PairingDecisionRecord : DeviceRow
{
    /// <summary>The request id, or a fresh id for a silent approval (which has no request).</summary>
    public string DecisionId { get; set; } = string.Empty;

    /// <summary>The audit action (<c>pairing.approved</c>, <c>pairing.rejected</c>, <c>pairing.approved.silent</c>).</summary>
    public string Action { get; set; } = string.Empty;

    /// <summary><c>approved</c> or <c>rejected</c>.</summary>
    public string Decision { get; set; } = string.Empty;

    /// <summary>The pairing request decided; null for a silent approval.</summary>
    public string? RequestId { get; set; }

    public string Actor { get; set; } = string.Empty;
    public string Role { get; set; } = string.Empty;
    public string ScopesFrom { get; set; } = string.Empty;
    public string ScopesTo { get; set; } = string.Empty;
    public string Reason { get; set; } = string.Empty;

    /// <summary>The client address key the request was counted under, so its cap entry is released.</summary>
    public string? ClientAddress { get; set; }

    public DateTimeOffset DecidedAt { get; set; }
}

/// <summary>A decided request, remembered for a while so its id answers "already resolved" rather than "unknown".</summary>
public sealed class ResolvedRequestRecord
{
    public string RequestId { get; set; } = string.Empty;
    public string DeviceId { get; set; } = string.Empty;

    /// <summary><c>approved</c> or <c>rejected</c>.</summary>
    public string Decision { get; set; } = string.Empty;

    public DateTimeOffset ResolvedAt { get; set; }

    /// <summary>The store's opaque version (an ETag).</summary>
    public string? Version { get; set; }
}

/// <summary>Marks an identity our own code created (a sub-agent), the only kind that may pair silently, once.</summary>
public sealed class InternalIdentityRecord : DeviceRow
{
    public string? BoundSessionKey { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A live connection of a device, so revocation and removal can find and close it.</summary>
public sealed class DeviceConnectionRecord : DeviceRow
{
    public string ConnectionId { get; set; } = string.Empty;
    public string Role { get; set; } = string.Empty;
    public DateTimeOffset AdmittedAt { get; set; }
}

/// <summary>What admission needs to know about one device.</summary>
public sealed record DeviceSnapshot(DeviceRecord? Device, DeviceTokenRecord? Token, InternalIdentityRecord? Internal);

/// <summary>Every row of one device, for removal.</summary>
public sealed record DeviceRowSet(
    DeviceRecord? Device,
    PendingRequestRecord? Pending,
    InternalIdentityRecord? Internal,
    IReadOnlyList<DeviceTokenRecord> Tokens,
    IReadOnlyList<DeviceConnectionRecord> Connections);
