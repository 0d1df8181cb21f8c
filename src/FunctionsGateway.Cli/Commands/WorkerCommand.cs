using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using FunctionsGateway.Client;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Cli;

/// <summary>
/// <c>gateway worker --echo</c>: an agent worker (role <c>node</c>) that answers each run with <c>echo: &lt;task&gt;</c>,
/// printing one line per run event and reconnecting when the connection drops, until Ctrl+C or SIGTERM, or until the
/// gateway withdraws the device's access (a revoked token or a removed device: reconnecting would undo the revocation).
/// </summary>
internal static class WorkerCommand
{
    public const string EchoPrefix = "echo: ";
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly JsonSerializerOptions OneLine = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task<int> RunAsync(CliArguments args, CliSettings settings, CliConsole console, CancellationToken cancellationToken)
    {
        args.RequireOnly("worker", "echo", "agent-id", "concurrency", "delay", "timeout", "poll", "poll-max");
        if (args.Positionals.Count > 1)
        {
            throw new CliUsageException($"worker takes no arguments, got: {args.Positionals[1]}");
        }

        if (!args.Has("echo"))
        {
            throw new CliUsageException("worker needs --echo (the built-in agent: answer each run with its task)");
        }

        var workerOptions = new AgentWorkerOptions { AgentIds = ParseAgentIds(args), MaxConcurrentRuns = ParseConcurrency(args) };
        var delay = args.GetSeconds("delay", 0);
        var timeout = args.GetSeconds("timeout", PairCommand.DefaultTimeoutSeconds);
        var poll = args.GetSeconds("poll", PairCommand.DefaultPollSeconds);
        var clientOptions = PairCommand.WithPollMax(settings.ToClientOptions(GatewayRoles.Node, []), args);
        var output = TextWriter.Synchronized(console.Out);

        await using var host = new AgentWorkerHost((run, ct) => EchoAsync(run, delay, ct), workerOptions, new StderrLogger<AgentWorkerHost>(console.Error));
        host.RunUpdated += update => output.WriteLine(FormatUpdate(update));
        try
        {
            return await ServeUntilCancelledAsync(host, clientOptions, poll, timeout, console with { Out = output }, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C or SIGTERM is how a worker is meant to end: the host has stopped its runs.
            await output.WriteLineAsync("worker stopped");
            return ExitCodes.Success;
        }
    }

    /// <summary><c>run &lt;runId&gt; &lt;phase&gt; [detail as a JSON string]</c>; an offer names agent, lane and timeout.</summary>
    public static string FormatUpdate(AgentRunUpdate update)
    {
        var run = update.Run;
        var phase = update.Phase.ToString().ToLowerInvariant();
        if (update.Phase == AgentRunPhase.Offered)
        {
            return $"run {run.RunId} {phase} agent={run.AgentId} lane={run.Lane} timeoutMs={run.TimeoutMs.ToString(CultureInfo.InvariantCulture)}";
        }

        return update.Detail is null ? $"run {run.RunId} {phase}" : $"run {run.RunId} {phase} {JsonSerializer.Serialize(update.Detail, OneLine)}";
    }

    public static async Task<string> EchoAsync(AgentRun run, TimeSpan delay, CancellationToken cancellationToken)
    {
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken);
        }

        return EchoPrefix + run.Task;
    }

    /// <summary>
    /// Connect (waiting for approval like <c>pair</c>), serve until the connection closes, reconnect; until cancelled.
    /// The close reason decides the reconnect (<see cref="CloseReasons.Classify"/>): at once after a token rotation,
    /// through the approval wait after <c>pairing required</c>, never after a revocation or removal (returns
    /// <see cref="ExitCodes.AccessWithdrawn"/>), and otherwise after a growing delay while connections keep dropping
    /// soon after they open. Returns only when pairing ends without an approval or access is withdrawn (its exit code;
    /// the reason is printed).
    /// </summary>
    private static async Task<int> ServeUntilCancelledAsync(
        AgentWorkerHost host, GatewayClientOptions options, TimeSpan poll, TimeSpan timeout, CliConsole console, CancellationToken cancellationToken)
    {
        var backoff = FirstBackoff;
        var everConnected = false;
        while (true)
        {
            GatewayClient client;
            try
            {
                var connected = await PairCommand.ConnectWhenApprovedAsync(options, poll, timeout, console, cancellationToken);
                if (connected.Client is null)
                {
                    return connected.ExitCode;
                }

                client = connected.Client;
            }
            catch (GatewayException ex) when (everConnected && ex.Code == ErrorCodes.Unavailable)
            {
                // The gateway is restarting or the network dropped: keep trying. A first connect that fails is an error.
                await console.Out.WriteLineAsync($"reconnect failed ({ex.Message}); retrying in {backoff.TotalSeconds:0}s");
                backoff = await WaitAndGrowAsync(backoff, cancellationToken);
                continue;
            }

            everConnected = true;
            var opened = TimeProvider.System.GetTimestamp();
            string? reason;
            await using (client)
            {
                // AgentWorkerHost.ServeAsync, with the ready line printed once the host really serves.
                await host.StartAsync(client, cancellationToken);
                try
                {
                    var agents = host.Options.AgentIds.Count == 0 ? "all" : string.Join(',', host.Options.AgentIds);
                    await console.Out.WriteLineAsync(
                        $"worker ready: device {client.DeviceId}, connection {client.ConnectionId}, agents {agents}, concurrency {host.Options.MaxConcurrentRuns}");
                    reason = await client.Closed.WaitAsync(cancellationToken);
                }
                finally
                {
                    await host.StopAsync(CancellationToken.None);
                }
            }

            var described = reason ?? "no reason given";
            switch (CloseReasons.Classify(reason))
            {
                case CloseDisposition.DoNotReconnect:
                    await console.Out.WriteLineAsync($"connection closed ({described}); not reconnecting");
                    await console.Error.WriteLineAsync(
                        $"the gateway withdrew this device's access ({described}): pair it again (gateway pair --role node) to serve runs");
                    return ExitCodes.AccessWithdrawn;
                case CloseDisposition.Reconnect when TimeProvider.System.GetElapsedTime(opened) < MaxBackoff:
                    // Dropped soon after it opened: wait, longer each time, so a flapping gateway is not hammered.
                    await console.Out.WriteLineAsync($"connection closed ({described}); reconnecting in {backoff.TotalSeconds:0}s");
                    backoff = await WaitAndGrowAsync(backoff, cancellationToken);
                    break;
                default:
                    backoff = FirstBackoff;
                    await console.Out.WriteLineAsync($"connection closed ({described}); reconnecting");
                    break;
            }
        }
    }

    private static async Task<TimeSpan> WaitAndGrowAsync(TimeSpan backoff, CancellationToken cancellationToken)
    {
        await Task.Delay(backoff, cancellationToken);
        return backoff * 2 < MaxBackoff ? backoff * 2 : MaxBackoff;
    }

    private static List<string> ParseAgentIds(CliArguments args)
    {
        var ids = args.GetAll("agent-id")
            .SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        foreach (var id in ids)
        {
            if (!SessionKeys.IsAgentId(id))
            {
                throw new CliUsageException($"--agent-id: not an agent id: {id} (1-64 of a-z, 0-9, '-', '_')");
            }
        }

        return ids;
    }

    private static int ParseConcurrency(CliArguments args)
    {
        var value = args.Get("concurrency");
        if (value is null)
        {
            return 1;
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > 1000)
        {
            throw new CliUsageException($"--concurrency needs a whole number from 1 to 1000, got: {value}");
        }

        return n;
    }
}
