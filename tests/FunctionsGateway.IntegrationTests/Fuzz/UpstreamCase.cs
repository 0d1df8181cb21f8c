using System.Text;
using System.Text.Json.Nodes;
using FunctionsGateway.SignalR.Serverless;
using MessagePack;

namespace FunctionsGateway.IntegrationTests.Fuzz;

/// <summary>
/// One POST to the upstream endpoint, as the SignalR service (or someone pretending to be it) sends them: mostly
/// correctly signed with mutated bodies and headers, some unsigned or wrongly signed. A case that may have stored its
/// connection's row ends with the service's <c>disconnected</c> event, as every real connection does.
/// </summary>
public sealed class UpstreamCase : IFuzzCase
{
    public const string Surface = "upstream";

    private static readonly string[] JsonTypes = ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/json;;;", "application/json; charset=utf-16"];
    private static readonly string[] MessagePackTypes = ["application/x-msgpack", "application/x-msgpack; q=1", "Application/X-MsgPack"];
    private static readonly string[] OddTypes = ["text/plain", "", "application/msgpack", "*/*", ";", "application/json, application/x-msgpack", "multipart/form-data; boundary=x", "application/jsonx"];
    private static readonly string[] Categories = ["messages", "MESSAGES", "connections", "Connections", "", "message", "events", "messages,connections"];
    private static readonly string[] Events = ["req", "REQ", "connected", "disconnected", "", "health", "broadcast", "req ", "CONNECTED"];
    private static readonly string[] Hubs = ["gateway", "GATEWAY", "Gateway", "chat", "", "gateway2", "gate way", "gateway;x"];

    private readonly FuzzHost host;
    private readonly string kind;
    private readonly string connectionId;
    private readonly UpstreamPost post;
    private readonly bool signed;

    public UpstreamCase(FuzzHost host, int seed, int index)
    {
        this.host = host;
        var random = FuzzSeed.ForCase(seed, Surface, index);
        connectionId = HubMessages.ConnectionId("fz-u", index, random);
        host.CaseOfConnection[connectionId] = ($"{Surface} case {index}", this);
        var invocationId = random.Chance(0.85) ? index.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        var messagePack = random.Chance(0.35);
        var contentType = messagePack ? random.Pick(MessagePackTypes) : random.Pick(JsonTypes);
        var headers = FuzzHost.SignedHeaders(connectionId);
        var chunked = false;
        byte[] body;
        var roll = random.Next(100);
        switch (roll)
        {
            case < 55:
                kind = messagePack ? "mutated MessagePack invocation" : "mutated JSON invocation";
                body = messagePack ? HubMessages.MutatedMessagePack(random, invocationId) : HubMessages.MutatedJson(random, invocationId);
                if (messagePack && random.Chance(0.05))
                {
                    kind = "framed MessagePack invocation (a VarInt length in front)";
                    body = MessagePackFuzz.Frame(body);
                }

                break;
            case < 63:
                kind = "random bytes";
                body = random.Bytes(random.Next(0, 512));
                break;
            case < 67:
                kind = "deep nesting";
                body = HubMessages.DeepNesting(random, messagePack);
                break;
            case < 70:
                kind = "size edge";
                (body, chunked) = SizeEdge(random, messagePack);
                break;
            case < 82:
                kind = "header mutation";
                body = messagePack ? HubMessages.MutatedMessagePack(random, invocationId) : HubMessages.MutatedJson(random, invocationId);
                contentType = MutateHeaders(random, headers, contentType);
                break;
            case < 88:
                kind = "connection event";
                headers = FuzzHost.SignedHeaders(connectionId, random.Pick(["connections", "connections", "Connections"]), random.Pick(Events));
                body = random.Chance(0.5) ? JsonFuzz.Serialize(JsonFuzz.Mutate(new JsonObject { ["type"] = random.Pick([10, 11]), ["error"] = "x" }, random, random.Next(3)), random) : random.Bytes(random.Next(0, 64));
                contentType = random.Chance(0.8) ? "application/json" : random.Pick(OddTypes);
                break;
            default:
                kind = "bad signature";
                body = messagePack ? HubMessages.MutatedMessagePack(random, invocationId) : HubMessages.MutatedJson(random, invocationId);
                BreakSignature(random, headers);
                break;
        }

        post = new UpstreamPost(body, contentType, headers, chunked);
        signed = SignatureAsReceived(headers);
    }

    public string Describe()
    {
        var headers = string.Join("; ", post.Headers.Select(h => h.Key + ": " + h.Value));
        return $"{kind}; Content-Type: {post.ContentType ?? "(none)"}; {headers}; body {FuzzText.Bytes(post.Body)}";
    }

    public async Task<string?> RunAsync(CancellationToken cancellationToken)
    {
        var answer = await host.PostAsync(post, cancellationToken);
        var problem = Check(answer);
        host.Tally(Surface, answer.Status == 200 && answer.Body.Length > 0 ? "200 with a completion" : answer.Status.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // The service's disconnected event, where this connection may legitimately have stored its row: after an
        // answered challenge, or a dispatched call whose answer is not seen (non-blocking). Any other stored row is
        // left in place on purpose, so the tables check at the end reports it.
        if (signed && answer.Status == 200 && (answer.Body.Length == 0 || ChallengeAnswered(answer)))
        {
            var status = await host.DisconnectAsync(connectionId, cancellationToken);
            problem ??= status == 200 ? null : $"the disconnected event after it answered {status}";
        }

        return problem;
    }

    private string? Check(UpstreamAnswer answer)
    {
        if (answer.Status >= 500)
        {
            return $"HTTP {answer.Status}: {FuzzText.Bytes(answer.Body)}";
        }

        if (!signed)
        {
            return answer.Status == 401 ? null : $"a request without a valid signature was answered {answer.Status}, not 401";
        }

        if (answer.Status == 401)
        {
            return "a correctly signed request was refused as unsigned";
        }

        return answer.Status == 200 && answer.Body.Length > 0 ? CheckCompletion(answer) : null;
    }

    private static bool ChallengeAnswered(UpstreamAnswer answer)
    {
        try
        {
            return FuzzOracle.CompletionResult(answer)?["payload"] is JsonObject payload && payload.ContainsKey("nonce");
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or MessagePackSerializationException or InvalidOperationException or EndOfStreamException or IndexOutOfRangeException)
        {
            return false;
        }
    }

    private static string? CheckCompletion(UpstreamAnswer answer)
    {
        try
        {
            return FuzzOracle.CheckResult(FuzzOracle.CompletionResult(answer));
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or MessagePackSerializationException or InvalidOperationException or EndOfStreamException or IndexOutOfRangeException)
        {
            return $"an unreadable completion ({ex.Message}): {FuzzText.Bytes(answer.Body)}";
        }
    }

    private static (byte[] Body, bool Chunked) SizeEdge(Random random, bool messagePack)
    {
        var size = random.Pick([0, 0, 64 * 1024 - 200, 64 * 1024 + 1, 200_000, UpstreamEndpointLimit, UpstreamEndpointLimit + 1, UpstreamEndpointLimit + 100_000]);
        if (size == 0)
        {
            return ([], false);
        }

        // A valid health call padded to the size, so it gets past parsing to the payload limit.
        var argument = new JsonObject { ["method"] = "health", ["params"] = new JsonObject { ["pad"] = new string('p', Math.Max(0, size - 120)) } };
        var body = messagePack
            ? MessagePackFuzz.Invocation(random, "1", "req", new JsonArray(argument), perverse: false)
            : Encoding.UTF8.GetBytes(HubMessages.Invocation(random, "1", argument).ToJsonString());
        return (body, random.Chance(0.3));
    }

    private const int UpstreamEndpointLimit = 1024 * 1024;

    private static string? MutateHeaders(Random random, List<KeyValuePair<string, string>> headers, string? contentType)
    {
        for (var round = random.Next(1, 3); round > 0; round--)
        {
            var name = random.Pick([UpstreamHeaders.CategoryHeader, UpstreamHeaders.EventHeader, UpstreamHeaders.HubHeader, UpstreamHeaders.UserIdHeader, "Content-Type", UpstreamHeaders.UserClaimsHeader]);
            var value = name switch
            {
                UpstreamHeaders.CategoryHeader => random.Pick(Categories),
                UpstreamHeaders.EventHeader => random.Chance(0.7) ? random.Pick(Events) : FuzzValues.Ascii(random, random.Next(0, 300)),
                UpstreamHeaders.HubHeader => random.Pick(Hubs),
                "Content-Type" => random.Pick(OddTypes),
                _ => FuzzValues.Ascii(random, random.Pick([0, 1, 16, 128, 4000])),
            };
            if (name == "Content-Type")
            {
                contentType = random.Chance(0.1) ? null : value;
                continue;
            }

            if (random.Chance(0.7))
            {
                headers.RemoveAll(h => h.Key == name);
            }

            if (random.Chance(0.9))
            {
                headers.Add(new(name, value));
            }
        }

        return contentType;
    }

    private void BreakSignature(Random random, List<KeyValuePair<string, string>> headers)
    {
        var valid = UpstreamSignature.Compute(FuzzHost.AccessKey, connectionId);
        headers.RemoveAll(h => h.Key == UpstreamHeaders.SignatureHeader);
        string? signature = random.Next(9) switch
        {
            0 => null,
            1 => UpstreamSignature.Compute("another-access-key-0123456789", connectionId),
            2 => UpstreamSignature.Compute(FuzzHost.AccessKey, connectionId + "x"),
            3 => valid[..^1],
            4 => valid.Replace("sha256=", "sha1=", StringComparison.Ordinal),
            5 => string.Join(",", Enumerable.Repeat(UpstreamSignature.Compute("k-" + random.Next(), connectionId), 9)) + "," + valid,
            6 => "sha256=" + new string('0', 64),
            7 => valid + ",garbage",
            _ => FuzzValues.Ascii(random, random.Next(0, 200)),
        };
        if (signature is not null)
        {
            headers.Add(new(UpstreamHeaders.SignatureHeader, signature));
        }

        if (random.Chance(0.2))
        {
            // The signature is over the connection id: a second id, or none, must not pass either.
            headers.Add(new(UpstreamHeaders.ConnectionIdHeader, random.Chance(0.5) ? "other" : string.Empty));
        }
    }

    /// <summary>
    /// Whether the endpoint will see a valid signature for the connection id it will see: HttpClient joins repeated
    /// headers into one line with ", " and Kestrel trims the value, so this mirrors that before asking the real check.
    /// </summary>
    private static bool SignatureAsReceived(List<KeyValuePair<string, string>> headers)
    {
        string? Received(string name)
        {
            var values = headers.Where(h => h.Key == name).Select(h => h.Value).ToList();
            var joined = values.Count == 0 ? null : string.Join(", ", values).Trim(' ', '\t');
            return string.IsNullOrEmpty(joined) ? null : joined;
        }

        return UpstreamSignature.IsValid(Received(UpstreamHeaders.SignatureHeader), Received(UpstreamHeaders.ConnectionIdHeader), [FuzzHost.AccessKey]);
    }
}
