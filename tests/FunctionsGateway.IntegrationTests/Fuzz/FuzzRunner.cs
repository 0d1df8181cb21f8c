using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.Fuzz;

/// <summary>One generated input and how to send it; <see cref="RunAsync"/> returns what went wrong, or null.</summary>
public interface IFuzzCase
{
    /// <summary>The input as a failure message shows it (truncated).</summary>
    string Describe();

    /// <summary>A kind of finding this case is expected to risk (its problem then starts with it), or null.</summary>
    string? Risk => null;

    Task<string?> RunAsync(CancellationToken cancellationToken);
}

public sealed record FuzzFinding(string Surface, int Index, string Input, string Observed, string? Risk = null);

/// <summary>Cases run and cases skipped because their kind of finding was already reported enough.</summary>
public sealed record FuzzCount(int Executed, int Skipped);

/// <summary>What the fuzz found, per surface, for one report at the end.</summary>
public sealed class FuzzFindings
{
    private readonly ConcurrentQueue<FuzzFinding> findings = new();

    public IReadOnlyList<FuzzFinding> All => [.. findings.OrderBy(f => f.Surface, StringComparer.Ordinal).ThenBy(f => f.Index)];

    public void Add(FuzzFinding finding) => findings.Enqueue(finding);

    public int CountFor(string surface, string? risk) => findings.Count(f => f.Surface == surface && f.Risk == risk);
}

/// <summary>Runs a surface's cases a few at a time; each case is independent, so the order does not change any input.</summary>
public static class FuzzRunner
{
    /// <summary>Stops a surface after this many findings: each one is already a bug, and stalls cost a timeout each.</summary>
    public const int MaxFindingsPerSurface = 10;

    /// <summary>
    /// A known risk (a case that must see the connection closed) is reported this often; later cases carrying the
    /// same risk are skipped, so one known bug neither floods the report nor hides the rest of the surface.
    /// </summary>
    public const int MaxFindingsPerRisk = 3;

    public static async Task<FuzzCount> RunAsync(string surface, int cases, int parallelism, TimeSpan caseTimeout, Func<int, IFuzzCase> generate, FuzzFindings findings)
    {
        int executed = 0, skipped = 0;
        var risks = new ConcurrentDictionary<string, SemaphoreSlim>(StringComparer.Ordinal);
        IEnumerable<int> indices = FuzzSeed.Replay is { } replay
            ? (replay.Surface == surface ? [replay.Index] : [])
            : Enumerable.Range(0, cases);
        await Parallel.ForEachAsync(indices, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (index, cancellationToken) =>
        {
            var fuzzCase = generate(index);

            // At most as many cases of one risk run at once as may report it: a stall costs each its full patience.
            var gate = fuzzCase.Risk is { } risk ? risks.GetOrAdd(risk, static _ => new SemaphoreSlim(MaxFindingsPerRisk)) : null;
            if (gate is not null)
            {
                await gate.WaitAsync(cancellationToken);
            }

            // A case that reports its risk keeps its slot, so findings plus cases in flight never exceed the limit; the
            // one that reaches it gives its slot back, and every later case of that risk passes through and is skipped.
            var keepSlot = false;
            try
            {
                if (findings.CountFor(surface, null) >= MaxFindingsPerSurface
                    || (fuzzCase.Risk is { } known && findings.CountFor(surface, known) >= MaxFindingsPerRisk))
                {
                    Interlocked.Increment(ref skipped);
                    return;
                }

                var reportedRisk = await RunOneAsync(surface, index, fuzzCase, caseTimeout, findings);
                keepSlot = reportedRisk && findings.CountFor(surface, fuzzCase.Risk) < MaxFindingsPerRisk;
                Interlocked.Increment(ref executed);
            }
            finally
            {
                if (!keepSlot)
                {
                    gate?.Release();
                }
            }
        });
        return new FuzzCount(executed, skipped);
    }

    /// <summary>Runs one case and records what it found; true when that was the case's own risk.</summary>
    private static async Task<bool> RunOneAsync(string surface, int index, IFuzzCase fuzzCase, TimeSpan caseTimeout, FuzzFindings findings)
    {
        using var timeout = new CancellationTokenSource(caseTimeout);
        string? problem;
        try
        {
            problem = await fuzzCase.RunAsync(timeout.Token);
        }
        catch (Exception ex) when (timeout.IsCancellationRequested)
        {
            problem = $"no outcome within {caseTimeout.TotalSeconds:0} s ({ex.GetType().Name})";
        }
        catch (Exception ex)
        {
            problem = $"the exchange failed: {ex.GetType().Name}: {ex.Message}";
        }

        if (problem is null)
        {
            return false;
        }

        var known = fuzzCase.Risk is { } risk && problem.StartsWith(risk, StringComparison.Ordinal) ? risk : null;
        findings.Add(new FuzzFinding(surface, index, fuzzCase.Describe(), problem, known));
        return known is not null;
    }
}

/// <summary>What every answer to unauthenticated input must look like.</summary>
public static class FuzzOracle
{
    /// <summary>
    /// A <c>req</c> result: <c>{ok, payload?, error?}</c>. Unauthenticated input is never admitted (no hello-ok), never
    /// makes the gateway fail internally (<c>UNAVAILABLE</c>), and every refusal names its reason in <c>details.code</c>.
    /// </summary>
    public static string? CheckResult(JsonNode? result)
    {
        if (result is not JsonObject answer || answer["ok"] is not JsonValue ok || !ok.TryGetValue<bool>(out var isOk))
        {
            return "the completion's result is not {ok, ...}: " + FuzzText.Text(result?.ToJsonString());
        }

        if (isOk)
        {
            return Text((answer["payload"] as JsonObject)?["type"]) == "hello-ok"
                ? "unauthenticated input was admitted: " + FuzzText.Text(answer.ToJsonString())
                : null;
        }

        var error = answer["error"] as JsonObject;
        var code = Text(error?["code"]);
        if (code == ErrorCodes.Unavailable)
        {
            return "the gateway failed internally: " + FuzzText.Text(answer.ToJsonString());
        }

        return code is null || Text((error?["details"] as JsonObject)?["code"]) is null
            ? "a refusal without error.code and error.details.code: " + FuzzText.Text(answer.ToJsonString())
            : null;
    }

    /// <summary>
    /// The result of the framed Completion the upstream answers with: JSON ending in 0x1E, or MessagePack behind its
    /// VarInt length. Throws on anything else (the caller reports it).
    /// </summary>
    public static JsonNode? CompletionResult(UpstreamAnswer answer)
    {
        var body = answer.Body;
        if (answer.ContentType?.Contains("msgpack", StringComparison.OrdinalIgnoreCase) != true)
        {
            if (body[^1] != FrameFuzz.RecordSeparator)
            {
                throw new InvalidOperationException("a JSON completion without its record separator");
            }

            var completion = JsonNode.Parse(body.AsSpan(0, body.Length - 1)) as JsonObject;
            return completion?["type"]?.GetValue<int>() == 3 && Text(completion["invocationId"]) is not null
                ? completion["result"]
                : throw new InvalidOperationException("not a completion");
        }

        int length = 0, used = 0, shift = 0;
        byte b;
        do
        {
            b = body[used++];
            length |= (b & 0x7F) << shift;
            shift += 7;
        }
        while ((b & 0x80) != 0);

        if (length != body.Length - used)
        {
            throw new InvalidOperationException($"the length prefix says {length} bytes, {body.Length - used} follow");
        }

        var reader = new MessagePack.MessagePackReader(body.AsMemory(used));
        var count = reader.ReadArrayHeader();
        var type = reader.ReadInt32();
        reader.Skip();
        var id = reader.ReadString();
        var kind = reader.ReadInt32();
        return count == 5 && type == 3 && id is not null && kind == 3 ? MessagePackJson.Read(ref reader) : throw new InvalidOperationException("not a completion with a result");
    }

    public static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
