using System.Text.Json.Serialization;

namespace FunctionsGateway.Protocol;

public sealed record ConnectParams
{
    [JsonPropertyName("minProtocol")] public int MinProtocol { get; init; }
    [JsonPropertyName("maxProtocol")] public int MaxProtocol { get; init; }
    [JsonPropertyName("client")] public ClientInfo? Client { get; init; }
    [JsonPropertyName("role")] public string? Role { get; init; }
    [JsonPropertyName("scopes")] public string[]? Scopes { get; init; }
    [JsonPropertyName("device")] public DeviceProof? Device { get; init; }
    [JsonPropertyName("auth")] public ConnectAuth? Auth { get; init; }
}

public sealed record ClientInfo
{
    [JsonPropertyName("id")] public string? Id { get; init; }
    [JsonPropertyName("version")] public string? Version { get; init; }
    [JsonPropertyName("platform")] public string? Platform { get; init; }
    [JsonPropertyName("deviceFamily")] public string? DeviceFamily { get; init; }
    [JsonPropertyName("mode")] public string? Mode { get; init; }
}

public sealed record DeviceProof
{
    [JsonPropertyName("id")] public string? Id { get; init; }
    [JsonPropertyName("publicKey")] public string? PublicKey { get; init; }
    [JsonPropertyName("signature")] public string? Signature { get; init; }
    [JsonPropertyName("signedAt")] public long SignedAt { get; init; }
    [JsonPropertyName("nonce")] public string? Nonce { get; init; }
}

public sealed record ConnectAuth
{
    [JsonPropertyName("token")] public string? Token { get; init; }
    [JsonPropertyName("deviceToken")] public string? DeviceToken { get; init; }
}

public sealed record ChallengePayload(
    [property: JsonPropertyName("nonce")] string Nonce,
    [property: JsonPropertyName("ts")] long Ts,
    [property: JsonPropertyName("protocol")] int Protocol);

public sealed record HelloOk(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("protocol")] int Protocol,
    [property: JsonPropertyName("server")] HelloServer Server,
    [property: JsonPropertyName("auth")] HelloAuth Auth,
    [property: JsonPropertyName("features")] HelloFeatures Features,
    [property: JsonPropertyName("policy")] HelloPolicy Policy);

public sealed record HelloServer(
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("connectionId")] string ConnectionId);

public sealed record HelloAuth(
    [property: JsonPropertyName("deviceToken")] string? DeviceToken,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("scopes")] string[] Scopes);

public sealed record HelloFeatures(
    [property: JsonPropertyName("methods")] string[] Methods,
    [property: JsonPropertyName("events")] IReadOnlyList<string> Events);

public sealed record HelloPolicy(
    [property: JsonPropertyName("maxPayload")] int MaxPayload,
    [property: JsonPropertyName("pairingRequestTtlMs")] long PairingRequestTtlMs,
    [property: JsonPropertyName("signatureSkewMs")] long SignatureSkewMs);

/// <summary>The <c>details</c> of a NOT_PAIRED error.</summary>
public sealed record PairingRequiredDetails(
    [property: JsonPropertyName("requestId")] string RequestId,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("requestedRole")] string RequestedRole,
    [property: JsonPropertyName("requestedScopes")] string[] RequestedScopes,
    [property: JsonPropertyName("approvedScopes")] string[] ApprovedScopes);
