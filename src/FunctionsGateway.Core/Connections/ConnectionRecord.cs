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

    /// <summary>
    /// The challenge nonces <c>connect</c> has spent on this connection, space-separated, so none is accepted twice
    /// (a connection spends at most <c>Gateway__Pairing__MaxAdmissionFailures</c> + 1 before it closes).
    /// </summary>
    public string? SpentNonces { get; set; }

    /// <summary>The latest expiry of a spent nonce: until then the spent list must be kept; after it, none could be reused anyway.</summary>
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

    public bool HasSpent(string nonce) => SpentNonces is { } spent && spent.Split(' ').Contains(nonce, StringComparer.Ordinal);

    /// <summary>Records one <c>connect</c> on this connection: its nonce is spent and the attempt counted.</summary>
    public void Spend(string nonce, DateTimeOffset expiresAt)
    {
        SpentNonces = SpentNonces is null ? nonce : SpentNonces + " " + nonce;
        NonceExpiresAt = NonceExpiresAt is { } later && later > expiresAt ? later : expiresAt;
        AdmissionAttempts++;
    }

    /// <summary>The store's opaque version (an ETag); every conditional write names the version it read.</summary>
    public string? Version { get; set; }
}
