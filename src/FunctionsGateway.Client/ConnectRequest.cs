using FunctionsGateway.Protocol;

namespace FunctionsGateway.Client;

/// <summary>Builds signed <c>connect</c> params for a challenge nonce (docs/protocol.md §3).</summary>
public static class ConnectRequest
{
    public static ConnectParams Build(
        DeviceKey key,
        ClientInfo client,
        string role,
        IReadOnlyList<string> scopes,
        string nonce,
        ConnectAuth? auth,
        DateTimeOffset signedAt,
        int minProtocol = GatewayProtocol.Version,
        int maxProtocol = GatewayProtocol.Version)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(client);
        var signedAtMs = signedAt.ToUnixTimeMilliseconds();
        var token = DeviceAuthPayload.SelectToken(auth?.Token, auth?.DeviceToken);
        var payload = DeviceAuthPayload.Build(key.DeviceId, client.Id ?? string.Empty, client.Mode ?? string.Empty, role, scopes,
            signedAtMs, token, nonce, client.Platform, client.DeviceFamily);
        return new ConnectParams
        {
            MinProtocol = minProtocol,
            MaxProtocol = maxProtocol,
            Client = client,
            Role = role,
            Scopes = [.. scopes],
            Device = new DeviceProof
            {
                Id = key.DeviceId,
                PublicKey = key.PublicKey,
                Signature = key.SignPayload(payload),
                SignedAt = signedAtMs,
                Nonce = nonce,
            },
            Auth = auth,
        };
    }
}
