using System.Text.Json.Nodes;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.Fuzz;

/// <summary>
/// One connection's admission attempt: a real <c>connect.challenge</c>, then <c>connect</c> with mutated params (in
/// JSON or MessagePack, sometimes twice), then the service's <c>disconnected</c> event.
/// </summary>
public sealed class ConnectCase(FuzzHost host, int seed, int index) : IFuzzCase
{
    public const string Surface = "connect";

    private readonly Random random = FuzzSeed.ForCase(seed, Surface, index);
    private string sent = "(nothing sent yet)";

    public string Describe() => sent;

    public async Task<string?> RunAsync(CancellationToken cancellationToken)
    {
        var connectionId = HubMessages.ConnectionId("fz-c", index, random);
        host.CaseOfConnection[connectionId] = ($"{Surface} case {index}", this);
        try
        {
            var nonce = await host.ChallengeAsync(connectionId, cancellationToken);
            var argument = new JsonObject { ["method"] = GatewayMethods.Connect };
            if (!random.Chance(0.03))
            {
                argument["params"] = ConnectFuzz.Build(random, host, nonce);
            }

            var messagePack = random.Chance(0.3);
            var body = messagePack
                ? MessagePackFuzz.Invocation(random, "c", GatewayProtocol.RequestTarget, new JsonArray(argument), perverse: false)
                : JsonFuzz.Serialize(HubMessages.Invocation(random, "c", argument), random);
            var post = new UpstreamPost(body, messagePack ? "application/x-msgpack" : "application/json", FuzzHost.SignedHeaders(connectionId));
            sent = $"connection {connectionId}, params {(messagePack ? "(MessagePack) " : string.Empty)}{FuzzText.Text(argument.ContainsKey("params") ? JsonFuzz.Text(argument["params"]) : "(none)")}";
            for (var attempt = random.Chance(0.1) ? 2 : 1; attempt > 0; attempt--)
            {
                if (Check(await host.PostAsync(post, cancellationToken)) is { } problem)
                {
                    return attempt == 1 ? problem : "the second identical connect: " + problem;
                }
            }

            return null;
        }
        finally
        {
            // The service always reports a connection's end; the gateway then forgets its row.
            var status = await host.DisconnectAsync(connectionId, cancellationToken);
            Assert.True(status == 200, $"the disconnected event for {connectionId} answered {status}");
        }
    }

    /// <summary>
    /// A body the hub protocol cannot read (a string that is not UTF-8, a map key that is not a string) is a 4xx before
    /// admission; anything read must be refused with a reason, never admitted.
    /// </summary>
    private string? Check(UpstreamAnswer answer)
    {
        if (answer.Status != 200)
        {
            host.Tally(Surface, "HTTP " + answer.Status);
            return answer.Status < 500 ? null : $"HTTP {answer.Status}: {FuzzText.Bytes(answer.Body)}";
        }

        try
        {
            var result = FuzzOracle.CompletionResult(answer);
            host.Tally(Surface, FuzzOracle.Text(result?["error"]?["details"]?["code"]) ?? FuzzOracle.Text(result?["error"]?["code"]) ?? "no refusal code");
            return FuzzOracle.CheckResult(result);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or MessagePack.MessagePackSerializationException or InvalidOperationException or EndOfStreamException or IndexOutOfRangeException)
        {
            return $"an unreadable completion ({ex.Message}): {FuzzText.Bytes(answer.Body)}";
        }
    }
}
