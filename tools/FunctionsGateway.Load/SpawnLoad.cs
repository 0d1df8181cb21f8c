using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using FunctionsGateway.Client;
using FunctionsGateway.Protocol;

/// <summary>
/// Spawn mode: one operator (operator.write) spawns sub-agents one after another, one echo worker serves them; each
/// spawn is timed from its <c>accepted</c> answer to the worker receiving its <c>node.run</c>.
/// </summary>
internal static class SpawnLoad
{
    /// <summary>Requester sessions the spawns rotate over, so the per-session child limits never bind.</summary>
    private const int Requesters = 10;

    public static async Task<string> RunAsync(LoadOptions options, int count)
    {
        var folder = Path.Combine(Path.GetTempPath(), "fg-load-" + Guid.NewGuid().ToString("N"));
        await using var op = await PairedAsync(options, Path.Combine(folder, "operator.json"), [OperatorScopes.Write], GatewayRoles.Operator);
        await using var workerClient = await PairedAsync(options, Path.Combine(folder, "worker.json"), [], GatewayRoles.Node);
        var offered = new ConcurrentDictionary<string, long>();
        var waiting = new ConcurrentDictionary<string, TaskCompletionSource>();
        await using var worker = new AgentWorkerHost((run, _) => Task.FromResult("echo: " + run.Task), new AgentWorkerOptions { MaxConcurrentRuns = 4 });
        worker.RunUpdated += update =>
        {
            if (update.Phase == AgentRunPhase.Offered)
            {
                offered.TryAdd(update.Run.RunId, Stopwatch.GetTimestamp());
                waiting.GetOrAdd(update.Run.RunId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }
        };
        await worker.StartAsync(workerClient);

        var agent = "load" + Guid.NewGuid().ToString("N")[..10];
        var latencies = new List<double>(count);
        var errors = 0;
        var cost = await CostMeter.StartAsync(options);
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var requester = SessionKeys.Main(agent + "-" + (i % Requesters));
            try
            {
                var accepted = await op.InvokeAsync(GatewayMethods.SessionsSpawn, new { sessionKey = requester, task = "task " + i, cleanup = SpawnCleanup.Delete });
                var acceptedAt = Stopwatch.GetTimestamp();
                var runId = accepted.GetProperty("runId").GetString()!;
                await waiting.GetOrAdd(runId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(TimeSpan.FromSeconds(30));
                latencies.Add(Math.Max(0, Stopwatch.GetElapsedTime(acceptedAt, offered[runId]).TotalMilliseconds));
            }
            catch (Exception ex) when (ex is GatewayException or TimeoutException)
            {
                errors++;
                Console.Error.WriteLine("spawn " + i + ": " + ex.Message);
            }
        }

        var elapsed = sw.Elapsed.TotalSeconds;
        var all = latencies.Order().ToArray();
        var costs = await cost.StopAsync(all.Length);
        double P(double q) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)(q * all.Length))];
        return string.Create(CultureInfo.InvariantCulture,
            $"result: {all.Length} ok, {errors} errors in {elapsed:F1}s = {all.Length / elapsed:F1}/s; spawn accepted -> node.run ms p50={P(0.50):F1} p95={P(0.95):F1} max={(all.Length == 0 ? 0 : all[^1]):F1}") + "\n" + costs;
    }

    private static async Task<GatewayClient> PairedAsync(LoadOptions options, string identity, string[] scopes, string role)
    {
        var client = new GatewayClientOptions
        {
            GatewayUrl = options.Url,
            SharedToken = options.SharedToken,
            IdentityPath = identity,
            Scopes = scopes,
            Role = role,
            UseMessagePack = options.MessagePack,
        };
        try
        {
            return await GatewayClient.ConnectAsync(client);
        }
        catch (PairingRequiredException pending)
        {
            using var admin = new GatewayAdminClient(options.Url, options.AdminKey);
            await admin.ApproveAsync(pending.RequestId);
            return await GatewayClient.ConnectAsync(client);
        }
    }
}
