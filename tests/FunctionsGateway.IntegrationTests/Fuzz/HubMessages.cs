using System.Text.Json.Nodes;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.Fuzz;

/// <summary>Valid hub messages to start from: <c>req</c> invocations of real methods, then mutated in JSON or MessagePack.</summary>
public static class HubMessages
{
    private static readonly string[] Methods =
    [
        GatewayMethods.Health, GatewayMethods.ConnectChallenge, GatewayMethods.Connect, GatewayMethods.Status, "device.pair.list",
        "device.pair.approve", "device.pair.reject", "device.token.rotate", "sessions.spawn", "sessions.patch", "node.event", "audit.list",
    ];

    /// <summary>The one argument of <c>req</c>: <c>{method, params}</c> for a real method with plausible params.</summary>
    public static JsonObject Argument(Random random)
    {
        var method = random.Chance(0.85) ? random.Pick(Methods) : FuzzValues.String(random);
        var argument = new JsonObject { ["method"] = method };
        JsonNode? parameters = method switch
        {
            GatewayMethods.Connect => ConnectFuzz.Plausible(random),
            "device.pair.approve" or "device.pair.reject" => new JsonObject { ["requestId"] = Hex(random, 16) },
            "device.token.rotate" => new JsonObject { ["deviceId"] = Hex(random, 32), ["role"] = "operator" },
            "sessions.spawn" => new JsonObject { ["sessionKey"] = "agent:main:main", ["task"] = "fuzz", ["cleanup"] = "delete" },
            "sessions.patch" => new JsonObject { ["sessionKey"] = "agent:main:subagent:" + Hex(random, 16), ["label"] = "x" },
            "node.event" => new JsonObject { ["runId"] = Hex(random, 16), ["kind"] = "started" },
            "audit.list" => new JsonObject { ["limit"] = 10 },
            _ => random.Chance(0.5) ? null : FuzzValues.Value(random, 2),
        };
        if (parameters is not null || random.Chance(0.3))
        {
            argument["params"] = parameters;
        }

        return argument;
    }

    /// <summary><c>{type:1, invocationId?, target:"req", arguments:[argument]}</c>; without an id it is a non-blocking call.</summary>
    public static JsonObject Invocation(Random random, string? invocationId, JsonNode? argument)
    {
        var message = new JsonObject { ["type"] = 1 };
        if (invocationId is not null)
        {
            message["invocationId"] = invocationId;
        }

        message["target"] = random.Chance(0.95) ? GatewayProtocol.RequestTarget : FuzzValues.String(random);
        message["arguments"] = new JsonArray(argument);
        if (random.Chance(0.1))
        {
            message["headers"] = new JsonObject { ["k"] = "v" };
        }

        if (random.Chance(0.05))
        {
            message["streamIds"] = random.Chance(0.5) ? new JsonArray() : new JsonArray("1");
        }

        return message;
    }

    /// <summary>
    /// An invocation of a real method, mutated 0-3 times, as JSON bytes (no record separator): mostly inside its
    /// <c>{method, params}</c>, so most of it reaches the gateway; sometimes anywhere in the envelope.
    /// </summary>
    public static byte[] MutatedJson(Random random, string? invocationId)
    {
        var rounds = random.Next(4);
        var tree = random.Chance(0.7)
            ? Invocation(random, invocationId, JsonFuzz.Mutate(Argument(random), random, rounds))
            : JsonFuzz.Mutate(Invocation(random, invocationId, Argument(random)), random, rounds);
        var bytes = JsonFuzz.Serialize(tree, random);
        if (random.Chance(0.1))
        {
            bytes = JsonFuzz.TextMutation(bytes, random);
        }

        return random.Chance(0.1) ? JsonFuzz.ByteMutation(bytes, random, random.Next(1, 4)) : bytes;
    }

    /// <summary>The same in MessagePack (unframed): wrong types and lying counts in the envelope, mutations in the arguments.</summary>
    public static byte[] MutatedMessagePack(Random random, string? invocationId)
    {
        var arguments = JsonFuzz.Mutate(new JsonArray(Argument(random)), random, random.Next(3));
        var target = random.Chance(0.95) ? GatewayProtocol.RequestTarget : FuzzValues.String(random);
        var bytes = MessagePackFuzz.Invocation(random, invocationId, target, arguments, perverse: random.Chance(0.25));
        return random.Chance(0.1) ? JsonFuzz.ByteMutation(bytes, random, random.Next(1, 4)) : bytes;
    }

    /// <summary>Nesting far past any depth limit: <c>[[[[...</c> or MessagePack fixarrays of one.</summary>
    public static byte[] DeepNesting(Random random, bool messagePack)
    {
        var depth = random.Chance(0.5) ? random.Next(60, 70) : random.Next(1_000, 100_000);
        if (messagePack)
        {
            return [0x95, 0x01, 0x80, 0xA1, (byte)'1', 0xA3, (byte)'r', (byte)'e', (byte)'q', .. Enumerable.Repeat((byte)0x91, depth), 0x01];
        }

        var prefix = "{\"type\":1,\"invocationId\":\"1\",\"target\":\"req\",\"arguments\":[{\"method\":\"health\",\"params\":";
        return System.Text.Encoding.UTF8.GetBytes(prefix + new string('[', depth) + new string(']', random.Chance(0.5) ? depth : depth / 2) + "}]}");
    }

    public static string Hex(Random random, int bytes) => Convert.ToHexStringLower(random.Bytes(bytes));

    /// <summary>A connection id as the service makes them (base64url), distinct per case.</summary>
    public static string ConnectionId(string prefix, int index, Random random)
        => $"{prefix}{index}-" + Convert.ToBase64String(random.Bytes(12)).Replace('+', '-').Replace('/', '_').TrimEnd('=');
}
