namespace FunctionsGateway.Protocol;

/// <summary>What a client should do after the gateway closed its connection (docs/protocol.md §4.8).</summary>
public enum CloseDisposition
{
    /// <summary>Not one of the gateway's reasons (a network drop, a service restart): reconnect with a growing delay.</summary>
    Reconnect,

    /// <summary>The device's token changed: reconnect now, with the shared token if the stored one was the old one.</summary>
    ReconnectNow,

    /// <summary>A human must approve the device first: reconnect only on a slow, growing poll until the request is approved.</summary>
    ReconnectWhenApproved,

    /// <summary>The device's access was withdrawn: do not reconnect; tell the user, who must pair it again.</summary>
    DoNotReconnect,
}

/// <summary>
/// The reasons the gateway closes a connection with. The service's REST close carries only the reason text: the close
/// message a client receives always says <c>allowReconnect: true</c> (the REST API has no way to say otherwise), and a
/// SignalR client with automatic reconnect then comes back on its own. So the reason itself is the contract: a client
/// decides with <see cref="Classify"/> (or the table in docs/protocol.md) whether to come back, and when.
/// </summary>
public static class CloseReasons
{
    /// <summary>After a <c>NOT_PAIRED</c> answer (the policy close, 1008 in WebSocket terms).</summary>
    public const string PairingRequired = GatewayProtocol.PairingRequiredCloseReason;

    /// <summary>The device token of this connection's role was revoked.</summary>
    public const string DeviceTokenRevoked = "device token revoked";

    /// <summary>The device token of this connection's role was replaced by a new one.</summary>
    public const string DeviceTokenRotated = "device token rotated";

    /// <summary>The device was removed: every pairing and token is gone.</summary>
    public const string DeviceRemoved = "device removed";

    /// <summary>A sub-agent's run ended and its internal identity with it.</summary>
    public const string SubAgentRunEnded = "sub-agent run ended";

    /// <summary>Device signatures failed too often on this connection: reconnect with a growing delay, with a correct key.</summary>
    public const string AdmissionAttemptsExhausted = "admission attempts exhausted";

    /// <summary>The gateway holds as many pending pairing requests as it takes: reconnect later, with a growing delay.</summary>
    public const string PendingLimitReached = "pairing request limit reached";

    /// <summary>Every reason the gateway sends, each with what a client should do after it.</summary>
    public static IReadOnlyDictionary<string, CloseDisposition> All { get; } = new Dictionary<string, CloseDisposition>(StringComparer.Ordinal)
    {
        [PairingRequired] = CloseDisposition.ReconnectWhenApproved,
        [DeviceTokenRotated] = CloseDisposition.ReconnectNow,
        [DeviceTokenRevoked] = CloseDisposition.DoNotReconnect,
        [DeviceRemoved] = CloseDisposition.DoNotReconnect,
        [SubAgentRunEnded] = CloseDisposition.DoNotReconnect,
        [AdmissionAttemptsExhausted] = CloseDisposition.Reconnect,
        [PendingLimitReached] = CloseDisposition.Reconnect,
    };

    /// <summary>
    /// What to do after a close with <paramref name="reason"/> (the close message's <c>error</c>; the JavaScript client
    /// prefixes it with <c>Server returned an error on close: </c>, which is accepted too). Anything else, including
    /// no reason at all, is <see cref="CloseDisposition.Reconnect"/>.
    /// </summary>
    public static CloseDisposition Classify(string? reason)
    {
        const string JavaScriptPrefix = "Server returned an error on close: ";
        if (reason is null)
        {
            return CloseDisposition.Reconnect;
        }

        if (reason.StartsWith(JavaScriptPrefix, StringComparison.Ordinal))
        {
            reason = reason[JavaScriptPrefix.Length..];
        }

        return All.TryGetValue(reason, out var disposition) ? disposition : CloseDisposition.Reconnect;
    }
}
