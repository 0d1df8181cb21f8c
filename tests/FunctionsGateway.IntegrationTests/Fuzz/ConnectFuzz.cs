using System.Text.Json;
using System.Text.Json.Nodes;
using FunctionsGateway.Client;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.Fuzz;

/// <summary>
/// <c>connect</c> params: signed correctly for the challenge, then mutated field by field (protocol range, ids, keys,
/// signatures, nonces, signedAt, scopes, role, client metadata, auth, unknown fields, nulls, retyped numbers), and
/// sometimes signed again so the mutation gets past the signature check. Never with a valid token: the fuzz is
/// unauthenticated input, so nothing it sends may be admitted or stored.
/// </summary>
public static class ConnectFuzz
{
    private static readonly string[] Platforms = ["linux", " Windows ", "MacOS", "", "ios"];
    private static readonly long[] SkewEdgesMs = [0, 1_000, -1_000, 119_000, -119_000, 121_000, -121_000, 3_600_000];

    /// <summary>Structurally valid params for no real challenge: what the upstream body surface starts from.</summary>
    public static JsonNode Plausible(Random random)
    {
        using var key = DeviceKey.FromSeed(random.Bytes(32));
        return ToNode(ConnectRequest.Build(key, Client(random), GatewayRoles.Operator, [OperatorScopes.Read], HubMessages.Hex(random, 24),
            new ConnectAuth { Token = "not-the-token" }, DateTimeOffset.UtcNow));
    }

    /// <summary>Signed params for <paramref name="nonce"/>, then 0-3 mutations, then (sometimes) signed again.</summary>
    public static JsonNode? Build(Random random, FuzzHost host, string nonce)
    {
        using var fresh = DeviceKey.FromSeed(random.Bytes(32));
        var key = random.Chance(0.35) ? host.PairedKey : fresh;
        var role = random.Chance(0.8) ? GatewayRoles.Operator : GatewayRoles.Node;
        string[] scopes = role == GatewayRoles.Node ? [] : [.. OperatorScopes.All.Where(_ => random.Chance(0.3))];
        var signedAt = DateTimeOffset.UtcNow.AddMilliseconds(random.Chance(0.7) ? 0 : random.Pick(SkewEdgesMs));
        var parameters = ConnectRequest.Build(key, Client(random), role, scopes, nonce, Auth(random, host), signedAt);
        JsonNode? node = ToNode(parameters);
        for (var round = random.Pick([0, 0, 1, 1, 1, 2, 2, 3]); round > 0; round--)
        {
            node = random.Chance(0.85) ? MutateField(node, random, host, nonce) : JsonFuzz.MutateOnce(node, random);
        }

        if (random.Chance(0.5))
        {
            Resign(node, key);
        }

        Unauthenticate(node, random, host);
        return node;
    }

    /// <summary>Auth that never authenticates: none, a wrong token, or one that is almost the shared token or the paired device's token.</summary>
    private static ConnectAuth? Auth(Random random, FuzzHost host) => random.Next(7) switch
    {
        0 => null,
        1 => new ConnectAuth { Token = Near(random, FuzzHost.SharedToken) },
        2 => new ConnectAuth { Token = FuzzValues.String(random) },
        3 => new ConnectAuth { DeviceToken = Near(random, host.PairedDeviceToken) },
        4 => new ConnectAuth { DeviceToken = Base64Url.Encode(random.Bytes(32)) },
        5 => new ConnectAuth { Token = string.Empty, DeviceToken = string.Empty },
        _ => new ConnectAuth { Token = Near(random, FuzzHost.SharedToken), DeviceToken = Near(random, host.PairedDeviceToken) },
    };

    /// <summary>A secret changed just enough: one character, case, white space, a NUL, truncated or extended. Never equal.</summary>
    public static string Near(Random random, string secret)
    {
        var near = random.Next(8) switch
        {
            0 => secret[..^1] + (char)(secret[^1] ^ 1),
            1 => secret.ToUpperInvariant(),
            2 => " " + secret,
            3 => secret + " ",
            4 => secret + "\0",
            5 => secret[..^1],
            6 => secret + secret[^1],
            _ => secret[..(secret.Length / 2)],
        };
        return near == secret ? secret + "x" : near;
    }

    private static ClientInfo Client(Random random) => new()
    {
        Id = random.Chance(0.9) ? "fuzz-cli" : FuzzValues.String(random),
        Version = "1.0.0",
        Platform = random.Pick(Platforms),
        DeviceFamily = random.Chance(0.3) ? "desktop" : null,
        Mode = random.Chance(0.9) ? "cli" : FuzzValues.String(random),
    };

    private static JsonNode ToNode(ConnectParams parameters) => JsonSerializer.SerializeToNode(parameters, GatewayJson.Options)!;

    /// <summary>Changes one field of the params to an edge value of its kind.</summary>
    private static JsonNode? MutateField(JsonNode? node, Random random, FuzzHost host, string nonce)
    {
        if (node is not JsonObject root)
        {
            return node;
        }

        var device = root["device"] as JsonObject ?? new JsonObject();
        var client = root["client"] as JsonObject ?? new JsonObject();
        switch (random.Next(13))
        {
            case 0:
                root[random.Pick(["minProtocol", "maxProtocol"])] = random.Pick<JsonNode?>([0, 2, 4, -1, int.MaxValue, int.MinValue, "3", 3.5, null, true, JsonNode.Parse("2147483648"), JsonNode.Parse("1e309")]);
                break;
            case 1:
                device["id"] = random.Pick<JsonNode?>([host.PairedKey.DeviceId, FuzzOracle.Text(device["id"])?.ToUpperInvariant(), "", null, 5, new string('a', 64), new string('a', 129), FuzzValues.String(random)]);
                break;
            case 2:
                var key = FuzzOracle.Text(device["publicKey"]) ?? string.Empty;
                device["publicKey"] = random.Pick<JsonNode?>([key + "=", key.Replace('-', '+').Replace('_', '/'), Base64Url.Encode(random.Bytes(31)), Base64Url.Encode(random.Bytes(33)),
                    " " + key, key.Insert(key.Length / 2, "\n"), "", null, 7, host.PairedKey.PublicKey, FuzzValues.String(random)]);
                break;
            case 3:
                var signature = FuzzOracle.Text(device["signature"]) is { Length: > 1 } text ? text : "AA";
                device["signature"] = random.Pick<JsonNode?>([Base64Url.Encode(random.Bytes(64)), Base64Url.Encode(random.Bytes(63)), Base64Url.Encode(random.Bytes(65)),
                    (signature[0] == 'A' ? "B" : "A") + signature[1..], signature + "==", "", null, 123, new JsonArray(signature)]);
                break;
            case 4:
                device["nonce"] = random.Pick<JsonNode?>([HubMessages.Hex(random, 24), "", null, nonce + "x", nonce.ToUpperInvariant(), nonce[..^1], " " + nonce, new string('n', 4096), 7]);
                break;
            case 5:
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                device["signedAt"] = random.Pick<JsonNode?>([long.MaxValue, long.MinValue, 0, -1, now + 121_000, now - 121_000, now.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    now + 0.5, JsonNode.Parse("1e20"), null, true]);
                break;
            case 6:
                root["scopes"] = random.Pick<JsonNode?>([new JsonArray("operator.unknown"), new JsonArray("operator.read", "operator.read"),
                    new JsonArray([.. Enumerable.Range(0, 17).Select(_ => (JsonNode?)"operator.read")]), new JsonArray((JsonNode?)null), "operator.read",
                    new JsonArray(new JsonArray("operator.read")), new JsonArray("Operator.Read"), new JsonArray(""), new JsonArray(" operator.read"), new JsonArray(1), null]);
                break;
            case 7:
                root["role"] = random.Pick<JsonNode?>([GatewayRoles.Node, "OPERATOR", "", null, 1, "admin", new string('r', 5000), "operator\u0000", FuzzValues.String(random)]);
                break;
            case 8:
                var field = random.Pick(["id", "mode", "platform", "deviceFamily", "version"]);
                client[field] = random.Pick<JsonNode?>([new string('c', 64), new string('c', 65), new string('c', 128), new string('c', 129), "linux|x", "", null, 4, FuzzValues.String(random)]);
                if (random.Chance(0.1))
                {
                    root["client"] = null;
                }
                else if (client.Parent is null)
                {
                    root["client"] = client;
                }

                break;
            case 9:
                root["auth"] = random.Pick<JsonNode?>([null, new JsonArray(), new JsonObject { ["token"] = 1 }, new JsonObject { ["token"] = Near(random, FuzzHost.SharedToken) },
                    new JsonObject { ["deviceToken"] = Near(random, host.PairedDeviceToken) }, new JsonObject { ["token"] = "", ["deviceToken"] = Near(random, host.PairedDeviceToken) }]);
                break;
            case 10:
                var target = random.Pick<JsonObject>([root, device, client]);
                target[FuzzValues.String(random)] = FuzzValues.Value(random);
                break;
            case 11:
                root.Remove(random.Pick(["client", "device", "role", "scopes", "auth", "minProtocol", "maxProtocol"]));
                break;
            default:
                return random.Pick<JsonNode?>([null, new JsonArray(), "connect", 3, JsonFuzz.Text(root), new JsonArray(root.DeepClone())]);
        }

        return root;
    }

    /// <summary>Signs the mutated params again with <paramref name="key"/>, when they still read as connect params.</summary>
    private static void Resign(JsonNode? node, DeviceKey key)
    {
        ConnectParams? p;
        try
        {
            p = node?.Deserialize<ConnectParams>(GatewayJson.Options);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return;
        }

        if (p?.Client is null || p.Device is null || node?["device"] is not JsonObject device)
        {
            return;
        }

        var payload = DeviceAuthPayload.Build(key.DeviceId, p.Client.Id ?? string.Empty, p.Client.Mode ?? string.Empty, p.Role ?? string.Empty, p.Scopes ?? [],
            p.Device.SignedAt, DeviceAuthPayload.SelectToken(p.Auth?.Token, p.Auth?.DeviceToken), p.Device.Nonce ?? string.Empty, p.Client.Platform, p.Client.DeviceFamily);
        device["signature"] = key.SignPayload(payload);
    }

    /// <summary>Whatever the mutations did, the params carry no valid shared token and no valid device token.</summary>
    private static void Unauthenticate(JsonNode? node, Random random, FuzzHost host)
    {
        if (node is JsonObject root && root["auth"] is JsonObject auth)
        {
            if (FuzzOracle.Text(auth["token"]) == FuzzHost.SharedToken)
            {
                auth["token"] = Near(random, FuzzHost.SharedToken);
            }

            if (FuzzOracle.Text(auth["deviceToken"]) == host.PairedDeviceToken)
            {
                auth["deviceToken"] = Near(random, host.PairedDeviceToken);
            }
        }
    }
}
