using System.Diagnostics;
using System.Globalization;
using Azure.Data.Tables;
using FunctionsGateway.Client;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Storage;
using FunctionsGateway.Protocol;

// The end-to-end load tool: real SignalR clients against a running gateway (scripts/start.sh), bounded in time.
//   calls:      N connections each calling a read method in a loop     → calls/s, p50/p99 latency
//   handshakes: N workers doing challenge + signed connect repeatedly   → handshakes/s, after seeding --paired devices
//   spawn:      --count sub-agent spawns served by one echo worker        → spawn accepted → node.run p50/p95
var options = LoadOptions.Parse(args);
if (options.Mode == "spawn")
{
    var count = args.Contains("--count") ? int.Parse(args[Array.IndexOf(args, "--count") + 1], CultureInfo.InvariantCulture) : 100;
    Console.WriteLine($"load: mode=spawn url={options.Url} count={count}");
    Console.WriteLine(await SpawnLoad.RunAsync(options, count));
    return 0;
}

Console.WriteLine($"load: mode={options.Mode} url={options.Url} connections={options.Connections} duration={options.Duration.TotalSeconds}s" +
    (options.Mode == "handshakes" ? $" paired={options.Paired}" : $" method={options.Method}") + (options.Rate > 0 ? $" rate={options.Rate}/s" : ""));

if (options.Paired > 0)
{
    await Seeder.SeedAsync(options.Storage, options.Paired);
}

var clients = await Pairing.PairAsync(options);
var result = options.Mode == "handshakes"
    ? await Runner.RunAsync(options, clients, async (client, ct) => await (await GatewayClient.ConnectAsync(client, ct)).DisposeAsync())
    : await Runner.RunCallsAsync(options, clients);
Console.WriteLine(result);
return 0;

internal sealed record LoadOptions(string Mode, Uri Url, int Connections, TimeSpan Duration, string Method, int Paired, string SharedToken, string AdminKey, string Storage, bool MessagePack, int HostPid, int AzuritePid, double Rate, TimeSpan WarmUp)
{
    public static LoadOptions Parse(string[] args)
    {
        string Get(string name, string fallback)
        {
            var i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        return new LoadOptions(
            args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "calls",
            new Uri(Get("url", Environment.GetEnvironmentVariable("GATEWAY_URL") ?? "http://127.0.0.1:7071")),
            int.Parse(Get("connections", "16"), CultureInfo.InvariantCulture),
            TimeSpan.FromSeconds(Math.Clamp(double.Parse(Get("duration", "10"), CultureInfo.InvariantCulture), 1, 300)),
            Get("method", GatewayMethods.Status),
            int.Parse(Get("paired", "0"), CultureInfo.InvariantCulture),
            Get("token", Environment.GetEnvironmentVariable("GATEWAY_SHARED_TOKEN") ?? string.Empty),
            Get("admin-key", Environment.GetEnvironmentVariable("GATEWAY_ADMIN_KEY") ?? string.Empty),
            Get("storage", Environment.GetEnvironmentVariable("AzureWebJobsStorage") ?? "UseDevelopmentStorage=true"),
            args.Contains("--msgpack"),
            int.Parse(Get("host-pid", "0"), CultureInfo.InvariantCulture),
            int.Parse(Get("azurite-pid", "0"), CultureInfo.InvariantCulture),
            double.Parse(Get("rate", "0"), CultureInfo.InvariantCulture),
            TimeSpan.FromSeconds(Math.Clamp(double.Parse(Get("warmup", "3"), CultureInfo.InvariantCulture), 0, 600)));
    }
}

internal static class Pairing
{
    /// <summary>One identity per worker, paired at operator.read through the admin API.</summary>
    public static async Task<List<GatewayClientOptions>> PairAsync(LoadOptions options)
    {
        var folder = Path.Combine(Path.GetTempPath(), "fg-load-" + Guid.NewGuid().ToString("N"));
        using var admin = new GatewayAdminClient(options.Url, options.AdminKey);
        var list = new List<GatewayClientOptions>();
        for (var i = 0; i < options.Connections; i++)
        {
            var client = new GatewayClientOptions
            {
                GatewayUrl = options.Url,
                SharedToken = options.SharedToken,
                IdentityPath = Path.Combine(folder, $"id-{i}.json"),
                Scopes = [OperatorScopes.Read],
                UseMessagePack = options.MessagePack,
            };
            try
            {
                await (await GatewayClient.ConnectAsync(client)).DisposeAsync();
            }
            catch (PairingRequiredException pending)
            {
                await admin.ApproveAsync(pending.RequestId);
            }

            list.Add(client);
        }

        return list;
    }
}

internal static class Seeder
{
    /// <summary>The devices table's directory partition (the stores' own constant is internal to Storage).</summary>
    private const string DirectoryPartition = "~directory";

    /// <summary>Writes paired-device rows directly, so the handshake rate can be compared at 1 and at N devices.</summary>
    public static async Task SeedAsync(string storage, int count)
    {
        var table = new TableServiceClient(storage).GetTableClient(StorageNames.DevicesTable);
        await table.CreateIfNotExistsAsync();
        var sw = Stopwatch.StartNew();
        var existing = 0;
        await foreach (var _ in table.QueryAsync<TableEntity>($"PartitionKey eq '{DirectoryPartition}'", select: ["RowKey"]))
        {
            existing++;
        }

        // Each device is one batch (its row and token row, its own partition); the directory rows share one partition,
        // so they go 100 to a batch: about 1.01 requests per device instead of 2.
        var missing = Enumerable.Range(existing, Math.Max(0, count - existing)).Chunk(100);
        await Parallel.ForEachAsync(missing, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (chunk, ct) =>
        {
            var directory = new List<TableTransactionAction>(chunk.Length);
            foreach (var _ in chunk)
            {
                using var key = DeviceKey.Generate();
                var (_, hash) = DeviceTokens.Mint();
                var device = new DeviceEntity
                {
                    PartitionKey = key.DeviceId, RowKey = "device", PublicKey = key.PublicKey, Roles = GatewayRoles.Operator,
                    Scopes = OperatorScopes.Read, Platform = "linux", ClientId = "seed", PairedAt = DateTimeOffset.UtcNow,
                };
                await table.SubmitTransactionAsync(
                [
                    new TableTransactionAction(TableTransactionActionType.UpsertReplace, device),
                    new TableTransactionAction(TableTransactionActionType.UpsertReplace, new DeviceTokenEntity
                    {
                        PartitionKey = key.DeviceId, RowKey = "token:operator", Role = GatewayRoles.Operator, TokenHash = hash, Scopes = OperatorScopes.Read, CreatedAt = DateTimeOffset.UtcNow,
                    }),
                ], ct);
                directory.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, new DeviceEntity
                {
                    PartitionKey = DirectoryPartition, RowKey = key.DeviceId, PublicKey = device.PublicKey, Roles = device.Roles,
                    Scopes = device.Scopes, Platform = device.Platform, ClientId = device.ClientId, PairedAt = device.PairedAt,
                }));
            }

            await table.SubmitTransactionAsync(directory, ct);
        });
        Console.WriteLine($"seed: {count} paired devices present ({count - existing} written in {sw.Elapsed.TotalSeconds:F1}s)");
    }
}

internal static class Runner
{
    public static async Task<string> RunCallsAsync(LoadOptions options, List<GatewayClientOptions> clients)
    {
        var connected = new List<GatewayClient>();
        foreach (var client in clients)
        {
            connected.Add(await GatewayClient.ConnectAsync(client));
        }

        try
        {
            return await RunAsync(options, clients, async (client, ct) =>
            {
                var index = clients.IndexOf(client);
                await connected[index].InvokeAsync(options.Method, null, ct);
            });
        }
        finally
        {
            foreach (var client in connected)
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>Each worker repeats its operation until the deadline; every latency is kept for percentiles.</summary>
    public static async Task<string> RunAsync(LoadOptions options, List<GatewayClientOptions> clients, Func<GatewayClientOptions, CancellationToken, Task> operation)
    {
        // Warm-up: JIT and connection pools settle before anything is counted. A fresh host keeps recompiling its hot
        // methods (tiered JIT) for tens of seconds, and that CPU lands in the window unless --warmup covers it.
        using (var warm = new CancellationTokenSource(options.WarmUp))
        {
            await Task.WhenAll(clients.Select(client => Task.Run(async () =>
            {
                while (!warm.IsCancellationRequested)
                {
                    await operation(client, CancellationToken.None);
                }
            })));
        }

        var cost = await CostMeter.StartAsync(options);
        using var stop = new CancellationTokenSource(options.Duration);
        var latencies = new List<double>[clients.Count];
        var errors = 0;
        var sw = Stopwatch.StartNew();
        // --rate paces the workers to a total rate (each one on its own schedule; one that falls behind does not
        // burst to catch up), so runs that would otherwise go as fast as they can are compared at the same load.
        var interval = options.Rate > 0 ? TimeSpan.FromSeconds(clients.Count / options.Rate) : TimeSpan.Zero;
        await Task.WhenAll(clients.Select((client, i) => Task.Run(async () =>
        {
            var mine = latencies[i] = new List<double>(4096);
            var due = sw.Elapsed + interval * i / clients.Count;
            while (!stop.IsCancellationRequested)
            {
                if (interval > TimeSpan.Zero)
                {
                    var wait = due - sw.Elapsed;
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait);
                    }

                    due = TimeSpan.FromTicks(Math.Max(due.Ticks, sw.Elapsed.Ticks)) + interval;
                    if (stop.IsCancellationRequested)
                    {
                        break;
                    }
                }

                var start = Stopwatch.GetTimestamp();
                try
                {
                    await operation(client, CancellationToken.None);
                    mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
                catch (Exception ex) when (ex is GatewayException or HttpRequestException or InvalidOperationException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        })));
        var elapsed = sw.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        var costs = await cost.StopAsync(all.Length);
        double P(double q) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)(q * all.Length))];
        return string.Create(CultureInfo.InvariantCulture,
            $"result: {all.Length} ok, {errors} errors in {elapsed:F1}s = {all.Length / elapsed:F0}/s; latency ms p50={P(0.50):F2} p90={P(0.90):F2} p99={P(0.99):F2} max={(all.Length == 0 ? 0 : all[^1]):F2}") + "\n" + costs;
    }
}
