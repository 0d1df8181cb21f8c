namespace FunctionsGateway.Protocol;

/// <summary>Top-level <c>error.code</c> values.</summary>
public static class ErrorCodes
{
    public const string InvalidRequest = "INVALID_REQUEST";
    public const string NotPaired = "NOT_PAIRED";
    public const string Unavailable = "UNAVAILABLE";
}

/// <summary><c>error.details.code</c> values: the machine-readable reason behind an error.</summary>
public static class DetailCodes
{
    public const string HandshakeRequired = "HANDSHAKE_REQUIRED";
    public const string AlreadyConnected = "ALREADY_CONNECTED";
    public const string ProtocolMismatch = "PROTOCOL_MISMATCH";
    public const string InvalidParams = "INVALID_PARAMS";
    public const string InvalidRole = "INVALID_ROLE";
    public const string InvalidScope = "INVALID_SCOPE";
    public const string DeviceIdMismatch = "DEVICE_AUTH_DEVICE_ID_MISMATCH";
    public const string DevicePublicKeyInvalid = "DEVICE_AUTH_PUBLIC_KEY_INVALID";
    public const string SignatureExpired = "DEVICE_AUTH_SIGNATURE_EXPIRED";
    public const string NonceRequired = "DEVICE_AUTH_NONCE_REQUIRED";
    public const string NonceMismatch = "DEVICE_AUTH_NONCE_MISMATCH";
    public const string SignatureInvalid = "DEVICE_AUTH_SIGNATURE_INVALID";
    public const string AuthUnauthorized = "AUTH_UNAUTHORIZED";
    public const string AuthDeviceTokenMismatch = "AUTH_DEVICE_TOKEN_MISMATCH";
    public const string PairingRequired = "PAIRING_REQUIRED";
    public const string ConnectionClosed = "CONNECTION_CLOSED";
    public const string MissingScope = "MISSING_SCOPE";
    public const string UnauthorizedRole = "UNAUTHORIZED_ROLE";
    public const string UnknownMethod = "UNKNOWN_METHOD";
    public const string RequestNotFound = "PAIRING_REQUEST_NOT_FOUND";
    public const string RequestExpired = "PAIRING_REQUEST_EXPIRED";
    public const string SelfApproval = "PAIRING_SELF_APPROVAL";
    public const string ConcurrentUpdate = "CONCURRENT_UPDATE";
    public const string DeviceNotFound = "DEVICE_NOT_FOUND";
    public const string PayloadTooLarge = "PAYLOAD_TOO_LARGE";
    public const string MalformedFrame = "MALFORMED_FRAME";
    public const string InternalIdentityBoundary = "INTERNAL_IDENTITY_BOUNDARY";
    public const string SessionNotFound = "SESSION_NOT_FOUND";
    public const string InvalidSessionKey = "INVALID_SESSION_KEY";
    public const string RunNotFound = "RUN_NOT_FOUND";

    /// <summary>A run id named by a caller already belongs to another session.</summary>
    public const string RunConflict = "RUN_CONFLICT";

    /// <summary>A second <c>started</c>, or an event for a run this worker was not given or that already ended.</summary>
    public const string RunNotOffered = "RUN_NOT_OFFERED";

    /// <summary>A spawn refused by one of its limits; <c>details.limit</c> names it.</summary>
    public const string SpawnLimit = "SPAWN_LIMIT";

    /// <summary>Storage did not answer within its deadline (<c>UNAVAILABLE</c>); <c>details.retryAfterMs</c> says when to retry.</summary>
    public const string StorageUnavailable = "STORAGE_UNAVAILABLE";

    /// <summary>Too many pending pairing requests; <c>details.limit</c> names the cap that was reached.</summary>
    public const string PendingLimit = "PAIRING_PENDING_LIMIT";

    /// <summary>The pairing request was already decided (approved or rejected): the admin API answers 409.</summary>
    public const string RequestResolved = "PAIRING_REQUEST_RESOLVED";

    /// <summary>This connection already has as many calls in flight as the gateway takes from one connection.</summary>
    public const string TooManyInFlight = "TOO_MANY_IN_FLIGHT";

    /// <summary>A device signature failed too often on this connection; it gets no further admission attempt.</summary>
    public const string AdmissionAttemptsExhausted = "ADMISSION_ATTEMPTS_EXHAUSTED";

    /// <summary>Negotiate under Entra ID has no valid service key to sign with (503, <c>UNAVAILABLE</c>); <c>details.retryAfterMs</c>.</summary>
    public const string SignalRKeyUnavailable = "SIGNALR_KEY_UNAVAILABLE";
}

/// <summary>The pairing gate's reasons (docs/protocol.md §4).</summary>
public static class PairingReasons
{
    public const string NotPaired = "not-paired";
    public const string RoleUpgrade = "role-upgrade";
    public const string ScopeUpgrade = "scope-upgrade";
    public const string MetadataUpgrade = "metadata-upgrade";
}

/// <summary>Server → client event names (target <c>event</c>).</summary>
public static class GatewayEvents
{
    public const string Target = "event";
    public const string DevicePairRequested = "device.pair.requested";
    public const string DevicePairResolved = "device.pair.resolved";
    public const string NodeRun = "node.run";
    public const string RunStatus = "run.status";
    public const string Chat = "chat";
    public const string SubagentCompleted = "subagent.completed";

    /// <summary>To the worker running a run: stop it (aborted or timed out).</summary>
    public const string NodeRunCancel = "node.run.cancel";

    /// <summary>To pairing watchers: a device was paired, its token rotated or revoked, or it was removed (<see cref="DeviceChanges"/>).</summary>
    public const string DeviceChanged = "device.changed";

    /// <summary>To admin connections: an audit entry was written (the entry as <c>audit.list</c> shows it).</summary>
    public const string AuditAppended = "audit.appended";

    /// <summary>To the requester session's subscribers: a spawn was accepted and its child exists by this key.</summary>
    public const string SubagentSpawned = "subagent.spawned";

    /// <summary>To the requester session's subscribers: a sub-agent spawned with <c>cleanup: delete</c> has deleted its child session.</summary>
    public const string SubagentDeleted = "subagent.deleted";

    public static readonly IReadOnlyList<string> All =
        [DevicePairRequested, DevicePairResolved, DeviceChanged, AuditAppended, NodeRun, NodeRunCancel, RunStatus, Chat, SubagentSpawned, SubagentCompleted, SubagentDeleted];
}

/// <summary>What a <c>device.changed</c> event says happened to the device.</summary>
public static class DeviceChanges
{
    /// <summary>An approval (or a sub-agent's silent first pairing) committed: the device's roles and baseline now.</summary>
    public const string Paired = "paired";
    public const string TokenRotated = "token.rotated";
    public const string TokenRevoked = "token.revoked";
    public const string Removed = "removed";
}

public static class GatewayProtocol
{
    /// <summary>The one protocol version this gateway speaks; clients send a [min, max] range around it.</summary>
    public const int Version = 3;

    /// <summary>The SignalR hub every client connects to.</summary>
    public const string Hub = "gateway";

    /// <summary>The blocking invocation target that carries every gateway call.</summary>
    public const string RequestTarget = "req";

    /// <summary>Close reason after a NOT_PAIRED answer (the policy close, 1008 in WebSocket terms).</summary>
    public const string PairingRequiredCloseReason = "pairing required";
}
