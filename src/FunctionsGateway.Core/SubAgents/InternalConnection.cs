using System.Text.Json;
using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Dispatch;
using FunctionsGateway.Protocol;
using NSec.Cryptography;

namespace FunctionsGateway.Core.SubAgents;

/// <summary>
/// A sub-agent identity created in process: an Ed25519 key that never leaves memory. Its calls go through the same
/// dispatcher, admission and per-request authorization as network calls, marked as internal.
/// </summary>
public sealed class InternalIdentity : IDisposable
{
    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;
    private readonly Key key = Key.Create(Ed25519);

    public InternalIdentity()
    {
        var raw = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        PublicKey = Base64Url.Encode(raw);
        DeviceId = DeviceIdentity.DeriveDeviceId(raw);
    }

    public string DeviceId { get; }

    public string PublicKey { get; }

    /// <summary>The connection this identity uses for calls at <paramref name="scopes"/>: one per scope set.</summary>
    public static string ConnectionId(string deviceId, ScopeSet scopes) => $"subagent-{deviceId}-{OperatorScopes.ToStorage(scopes).Replace(',', '+')}";

    public string Sign(string payload) => Base64Url.Encode(Ed25519.Sign(key, System.Text.Encoding.UTF8.GetBytes(payload)));

    public void Dispose() => key.Dispose();
}

/// <summary>One in-process connection of an internal identity, at one scope set.</summary>
public sealed class InternalConnection(GatewayDispatcher dispatcher, string connectionId)
{
    public const string ClientId = "gateway-subagent";
    public const string ClientMode = "subagent";
    public const string Platform = "gateway";

    public string ConnectionId { get; } = connectionId;

    /// <summary><c>connect.challenge</c> then a signed <c>connect</c> asking for exactly <paramref name="scopes"/>.</summary>
    public async Task<GatewayResponse> ConnectAsync(InternalIdentity identity, ScopeSet scopes, string sharedToken, TimeProvider time, CancellationToken cancellationToken)
    {
        var challenge = await CallAsync(GatewayMethods.ConnectChallenge, null, cancellationToken);
        if (!challenge.Ok)
        {
            return challenge;
        }

        var nonce = ((ChallengePayload)challenge.Payload!).Nonce;
        var scopeNames = OperatorScopes.ToNames(scopes);
        var signedAt = time.GetUtcNow().ToUnixTimeMilliseconds();
        var payload = DeviceAuthPayload.Build(identity.DeviceId, ClientId, ClientMode, GatewayRoles.Operator, scopeNames, signedAt, sharedToken, nonce, Platform, null);
        var connect = new ConnectParams
        {
            MinProtocol = GatewayProtocol.Version,
            MaxProtocol = GatewayProtocol.Version,
            Client = new ClientInfo { Id = ClientId, Version = "1", Platform = Platform, Mode = ClientMode },
            Role = GatewayRoles.Operator,
            Scopes = scopeNames,
            Device = new DeviceProof { Id = identity.DeviceId, PublicKey = identity.PublicKey, Signature = identity.Sign(payload), SignedAt = signedAt, Nonce = nonce },
            Auth = new ConnectAuth { Token = sharedToken },
        };
        return await CallAsync(GatewayMethods.Connect, connect, cancellationToken);
    }

    public async Task<GatewayResponse> CallAsync(string method, object? parameters, CancellationToken cancellationToken)
    {
        var element = parameters is null ? default : JsonSerializer.SerializeToElement(parameters, GatewayJson.Options);
        var result = await dispatcher.DispatchAsync(new CallContext(ConnectionId, CallOrigin.Internal), new GatewayRequest(method, element), cancellationToken);
        return result.Response;
    }
}
