using System.Diagnostics;
using System.Text;
using System.Text.Json;
using FunctionsGateway.Protocol;
using Microsoft.AspNetCore.SignalR.Client;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace FunctionsGateway.IntegrationTests.Fuzz;

/// <summary>The fuzz runs alone: its runtime is its own, and an unobserved task exception can only be its own.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FuzzCollection
{
    public const string Name = "fuzz";
}

/// <summary>
/// Lines for the console of <c>dotnet test</c> even when the test passes: xunit's diagnostic messages (switched on in
/// xunit.runner.json) are printed as <c>[xUnit.net hh:mm:ss] FunctionsGateway.IntegrationTests: ...</c>, while a
/// passing test's own output and Console.WriteLine are not shown at the default verbosity.
/// </summary>
public sealed class FuzzConsole(IMessageSink sink)
{
    public void WriteLine(string line) => sink.OnMessage(new DiagnosticMessage(line));
}

/// <summary>
/// A seeded, bounded fuzz of what unauthenticated clients control: upstream bodies and headers, WebSocket frames, and
/// connect params. It prints its seed and case count; a failure lists each finding with its seed, case and input.
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class GatewayFuzzTests(ITestOutputHelper output, FuzzConsole console) : IClassFixture<FuzzConsole>
{
    public const int UpstreamCases = 7_000;
    public const int ConnectCases = 1_500;
    public const int FrameCases = 1_500;
    private const int Parallelism = 8;

    [Fact]
    public async Task Unauthenticated_input_never_gets_a_5xx_an_unobserved_exception_an_error_log_or_a_stored_change()
    {
        Assert.True(UpstreamCases + ConnectCases + FrameCases >= 10_000, "the fuzz runs at least 10,000 cases");
        var seed = FuzzSeed.Current;
        Report($"fuzz: seed {seed} (set {FuzzSeed.SeedVariable} to change it; {FuzzSeed.CaseVariable}=surface:index replays one case)");

        // Earlier tests' garbage is finalized before listening, so what is reported comes from the fuzz.
        FlushFinalizers();
        var unobserved = new List<string>();
        EventHandler<UnobservedTaskExceptionEventArgs> listener = (_, e) =>
        {
            lock (unobserved)
            {
                unobserved.Add(e.Exception.ToString());
            }
        };
        TaskScheduler.UnobservedTaskException += listener;
        try
        {
            await using var host = await FuzzHost.StartAsync();

            // "Unchanged" is measured from here, after setup paired one device (its rows, its admitted connection's
            // row, the audit of its approval). The one thing unauthenticated input may store is the row of a challenged
            // connection; a fuzz connection that may have one ends as every connection does, with the service's
            // disconnected event, which removes it. So the tables must equal this snapshot exactly, ETags included:
            // no row added, removed or rewritten.
            var before = await TableSnapshot.TakeAsync(host.StorageConnectionString);
            var findings = new FuzzFindings();
            var clock = Stopwatch.StartNew();
            var surfaces = new List<string>();
            var executed = 0;
            var skipped = 0;
            async Task RunAsync(string surface, int cases, Func<int, IFuzzCase> generate)
            {
                var (started, cpu) = (clock.Elapsed, host.ProcessorTime);
                var count = await FuzzRunner.RunAsync(surface, cases, Parallelism, TimeSpan.FromSeconds(60), generate, findings);
                executed += count.Executed;
                skipped += count.Skipped;
                var skips = count.Skipped > 0 ? $", {count.Skipped} skipped" : string.Empty;
                var used = host.ProcessorTime;
                surfaces.Add($"{surface} {count.Executed}{skips} in {(clock.Elapsed - started).TotalSeconds:0.0} s"
                    + $" (cpu {(used.Process - cpu.Process).TotalSeconds:0.0} s + storage {(used.Storage - cpu.Storage).TotalSeconds:0.0} s)");
            }

            await RunAsync(UpstreamCase.Surface, UpstreamCases, i => new UpstreamCase(host, seed, i));
            await RunAsync(ConnectCase.Surface, ConnectCases, i => new ConnectCase(host, seed, i));
            await RunAsync(FrameCase.Surface, FrameCases, i => new FrameCase(host, seed, i));
            Report($"fuzz: seed {seed}: {executed} cases ({string.Join(", ", surfaces)}) in {clock.Elapsed.TotalSeconds:0.0} s"
                + (skipped > 0 ? $"; {skipped} skipped after their kind of finding was reported {FuzzRunner.MaxFindingsPerRisk} times" : string.Empty));

            foreach (var line in host.OutcomeLines())
            {
                Report("fuzz: " + line);
            }

            var problems = new StringBuilder();
            await CheckStillServingAsync(host, problems);
            var tables = await SettledDifferencesAsync(host, before);
            FlushFinalizers();
            Append(problems, "tables changed (before -> after the fuzz)", [.. tables.Select(line => Attribute(host, line))]);
            if (host.RequestsSeen < executed)
            {
                // Cases make one or more requests each (a POST, a negotiate, a WebSocket upgrade): fewer in all means
                // the recorder is not in their pipeline, and a 5xx could pass unseen.
                problems.AppendLine($"- the 5xx recorder saw {host.RequestsSeen} requests for {executed} cases: it is not in their pipeline");
            }

            Append(problems, "5xx responses or escaped exceptions", [.. host.ServerErrors.Select(line => Attribute(host, line))]);
            Append(problems, "Error/Critical log lines", [.. host.Logs.Entries.Where(e => e.IsError).Select(e => Attribute(host, e.Describe()))]);
            lock (unobserved)
            {
                // Distinct by their stack, shortened: the same fault repeats once per connection that hit it.
                Append(problems, "unobserved task exceptions (distinct, first lines)",
                    [.. unobserved.Select(e => string.Join(Environment.NewLine + "      ", e.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).Take(14))).Distinct()]);
                if (unobserved.Count > 0)
                {
                    problems.AppendLine($"    ({unobserved.Count} unobserved task exceptions in all)");
                }
            }

            foreach (var finding in findings.All)
            {
                problems.AppendLine($"- {finding.Surface} case {finding.Index}: {finding.Observed}").AppendLine($"    input: {finding.Input}");
            }

            Assert.True(problems.Length == 0,
                $"fuzz seed {seed} found problems (replay one with {FuzzSeed.SeedVariable}={seed} {FuzzSeed.CaseVariable}=surface:index):{Environment.NewLine}{problems}");
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= listener;
        }
    }

    /// <summary>The host still answers: <c>status</c> on the connection admitted at setup, and <c>health</c> from a new SignalR client.</summary>
    private static async Task CheckStillServingAsync(FuzzHost host, StringBuilder problems)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var status = await host.Admitted.RequestAsync(GatewayMethods.Status, null, timeout.Token);
        if (!status.GetProperty("ok").GetBoolean()
            || status.GetProperty("payload").GetProperty("connection").GetProperty("deviceId").GetString() != host.PairedKey.DeviceId)
        {
            problems.AppendLine("- after the fuzz, status on the connection admitted at setup answered " + status);
        }

        var hub = new HubConnectionBuilder().WithUrl(new Uri(host.BaseUrl, "api")).Build();
        try
        {
            await hub.StartAsync(timeout.Token);
            var health = await hub.InvokeAsync<JsonElement>(GatewayProtocol.RequestTarget, new { method = GatewayMethods.Health }, timeout.Token);
            if (!health.GetProperty("ok").GetBoolean())
            {
                problems.AppendLine("- after the fuzz, health from a SignalR client answered " + health);
            }
        }
        finally
        {
            await hub.DisposeAsync();
        }
    }

    /// <summary>
    /// The differences once the service's last disconnected events have landed (they follow a socket's close
    /// asynchronously): polled until the tables match, or for 30 s, then whatever still differs.
    /// </summary>
    private static async Task<IReadOnlyList<string>> SettledDifferencesAsync(FuzzHost host, TableSnapshot before)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await host.WaitForIdleQueuesAsync(TimeSpan.FromSeconds(30));
            var differences = (await TableSnapshot.TakeAsync(host.StorageConnectionString)).DifferencesFrom(before);
            if (differences.Count == 0 || DateTime.UtcNow > deadline)
            {
                return differences;
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Names the fuzz case behind a log line by the connection id in it, with that case's input.</summary>
    private static string Attribute(FuzzHost host, string line)
    {
        var known = host.CaseOfConnection.FirstOrDefault(c => line.Contains(c.Key, StringComparison.Ordinal));
        return known.Key is null ? line : $"({known.Value.Label}) {line}{Environment.NewLine}      input: {known.Value.Case.Describe()}";
    }

    private static void Append(StringBuilder problems, string title, IReadOnlyCollection<string> lines)
    {
        if (lines.Count > 0)
        {
            problems.AppendLine($"- {lines.Count} {title}:");
            foreach (var line in lines.Take(12))
            {
                problems.Append("    ").AppendLine(line);
            }
        }
    }

    private static void FlushFinalizers()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    /// <summary>To the test's output, and to the console so a CI log shows the seed and the count of a passing run too.</summary>
    private void Report(string line)
    {
        output.WriteLine(line);
        console.WriteLine(line);
    }
}
