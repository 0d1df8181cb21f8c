namespace FunctionsGateway.Core.Connections;

public enum ConnectionState
{
    Challenged = 1,
    Admitted = 2,
    Closed = 3,
}

/// <summary>One SignalR connection: its challenge, then its admitted identity and scopes.</summary>
public sealed class ConnectionRecord
{
    public string ConnectionId { get; set; } = string.Empty;
    public ConnectionState State { get; set; }
    public string? Nonce { get; set; }
    public DateTimeOffset? NonceExpiresAt { get; set; }
    public string? DeviceId { get; set; }
    public string? Role { get; set; }
    public int ScopeMask { get; set; }
    public string? ClientId { get; set; }
    public bool IsInternal { get; set; }
    public string? BoundSessionKey { get; set; }
    public DateTimeOffset? AdmittedAt { get; set; }
    public string? ClosedReason { get; set; }

    /// <summary>Challenges spent by <c>connect</c> on this connection; every one that did not admit it was a failed attempt.</summary>
    public int AdmissionAttempts { get; set; }

    /// <summary>The store's opaque version (an ETag); every conditional write names the version it read.</summary>
    public string? Version { get; set; }
}
