using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using FunctionsGateway.Client;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;
using FunctionsGateway.Tests;

namespace FunctionsGateway.IntegrationTests.EndToEnd;

/// <summary>
/// What the gateway's closes mean to real clients: after <c>pairing required</c> they come back, on a growing interval,
/// until a human approves; after a revocation they stay away. Connection attempts are counted over the pending window.
/// </summary>
[Collection(LocalHostCollection.Name)]
public sealed class CloseSemanticsTests(LocalHostFixture host) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Timers may fire a little early; a wait this much shorter than asked still counts as the asked wait.</summary>
    private static readonly TimeSpan TimerSlack = TimeSpan.FromMilliseconds(20);

    /// <summary>An Error/Critical line the local host logs during the test fails it unless the test declares it.</summary>
    private readonly ErrorLogCheck errorLogs = host.CheckErrorLogs();

    [Fact]
    public async Task The_dotnet_client_waits_for_approval_on_a_growing_interval_with_one_connection_per_poll()
    {
        var first = TimeSpan.FromMilliseconds(100);
        var max = TimeSpan.FromMilliseconds(400);
        var negotiations = new ConcurrentQueue<long>();
        var options = host.Options(LocalHostFixture.NewIdentityPath(), [OperatorScopes.Read]);
        options.PairingPollMaxInterval = max;
        options.ConfigureHttpConnection = o => o.HttpMessageHandlerFactory = inner => new CountingHandler(inner, negotiations);
        var pending = new ConcurrentQueue<(long At, string RequestId)>();
        var sixPending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var progress = new InlineProgress(e =>
        {
            pending.Enqueue((Stopwatch.GetTimestamp(), e.RequestId));
            if (pending.Count == 6)
            {
                sixPending.TrySetResult();
            }
        });

        var connecting = GatewayClient.ConnectWhenApprovedAsync(options, first, Patience, progress);
        await sixPending.Task.WaitAsync(Patience);
        using (var admin = host.Admin())
        {
            await admin.ApproveAsync(pending.First().RequestId);
        }

        await using var client = await connecting.WaitAsync(Patience);

        // One request id throughout, one connection per poll (the last one admitted), and waits that double to the cap.
        var reports = pending.ToArray();
        Assert.Single(reports.Select(r => r.RequestId).Distinct());
        Assert.Equal(reports.Length + 1, negotiations.Count);
        var starts = negotiations.ToArray();
        for (var i = 1; i < 6; i++)
        {
            var asked = TimeSpan.FromTicks(Math.Min(first.Ticks << (i - 1), max.Ticks));
            var gap = Stopwatch.GetElapsedTime(starts[i - 1], starts[i]);
            Assert.True(gap >= asked - TimerSlack, $"connect {i + 1} came {gap.TotalMilliseconds:0} ms after connect {i}; the wait was {asked.TotalMilliseconds:0} ms");
        }
    }

    [Fact]
    public async Task A_javascript_client_with_automatic_reconnect_comes_back_after_pairing_required_backs_off_and_stops_after_a_revoke()
    {
        const int FirstMs = 200, MaxMs = 800, Cycles = 4;
        var root = RepoPaths.Root;
        Assert.True(Directory.Exists(Path.Combine(root, "node_modules", "@microsoft", "signalr")), "run npm ci first: node_modules/@microsoft/signalr is missing");
        var start = new ProcessStartInfo("node",
            [Path.Combine(root, "tests", "wire", "node-reconnect.mjs"), host.BaseUrl.ToString().TrimEnd('/'), GatewayHarness.SharedToken,
             LocalHostFixture.AdminKey, $"{FirstMs}", $"{MaxMs}", $"{Cycles}"])
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };

        await using var owned = OwnedProcess.Start(start);
        var stdout = owned.Process.StandardOutput.ReadToEndAsync();
        var stderr = owned.Process.StandardError.ReadToEndAsync();
        await owned.Process.WaitForExitAsync().WaitAsync(Patience);
        var output = await stdout;

        Assert.True(owned.Process.ExitCode == 0, $"node exited {owned.Process.ExitCode}\n{output}\n{await stderr}");
        var steps = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var waits = steps.Where(s => s.GetProperty("step").GetString() == "pending").ToList();
        Assert.Equal(Cycles, waits.Count);
        foreach (var wait in waits)
        {
            Assert.True(wait.GetProperty("delayMs").GetInt32() >= wait.GetProperty("expectedMs").GetInt32() - TimerSlack.TotalMilliseconds, wait.GetRawText());
        }

        var admitted = steps.Single(s => s.GetProperty("step").GetString() == "admitted");
        Assert.Equal(Cycles + 2, admitted.GetProperty("connections").GetInt32());
        var closed = steps.Last();
        Assert.Equal("Server returned an error on close: " + CloseReasons.DeviceTokenRevoked, closed.GetProperty("message").GetString());
        Assert.Equal(Cycles + 2, closed.GetProperty("connections").GetInt32());
    }

    [Fact]
    public async Task The_node_echo_worker_exits_4_when_its_device_is_removed_instead_of_pairing_again()
    {
        var root = RepoPaths.Root;
        var start = new ProcessStartInfo("node", [Path.Combine(root, "examples", "node-echo-worker", "worker.mjs")])
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["GATEWAY_URL"] = host.BaseUrl.ToString().TrimEnd('/'),
                ["GATEWAY_SHARED_TOKEN"] = GatewayHarness.SharedToken,
                ["GATEWAY_IDENTITY"] = LocalHostFixture.NewIdentityPath(),
                ["WORKER_RETRY_MS"] = "100",
            },
        };
        await using var owned = OwnedProcess.Start(start);
        var lines = System.Threading.Channels.Channel.CreateUnbounded<string>();
        owned.Process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lines.Writer.TryWrite(e.Data); } };
        owned.Process.ErrorDataReceived += (_, _) => { };
        owned.Process.BeginOutputReadLine();
        owned.Process.BeginErrorReadLine();

        var pairing = await NextLineAsync(lines, "pairing-required ");
        using (var admin = host.Admin())
        {
            await admin.ApproveAsync(pairing["pairing-required ".Length..]);
        }

        var deviceId = (await NextLineAsync(lines, "ready "))["ready ".Length..];
        await using (var remover = await PairedAsync([OperatorScopes.Admin]))
        {
            await remover.InvokeAsync(GatewayMethods.DevicePairRemove, new { deviceId });
        }

        Assert.Equal("closed " + CloseReasons.DeviceRemoved, await NextLineAsync(lines, "closed "));
        await owned.Process.WaitForExitAsync().WaitAsync(Patience);
        Assert.Equal(4, owned.Process.ExitCode);
    }

    private static async Task<string> NextLineAsync(System.Threading.Channels.Channel<string> lines, string prefix)
    {
        using var timeout = new CancellationTokenSource(Patience);
        await foreach (var line in lines.Reader.ReadAllAsync(timeout.Token))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return line.Trim();
            }
        }

        throw new InvalidOperationException($"the worker ended before printing '{prefix}'");
    }

    private async Task<GatewayClient> PairedAsync(string[] scopes)
    {
        var options = host.Options(LocalHostFixture.NewIdentityPath(), scopes);
        var pending = await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(options));
        using (var admin = host.Admin())
        {
            await admin.ApproveAsync(pending.RequestId);
        }

        return await GatewayClient.ConnectAsync(options);
    }

    /// <summary>Records when each negotiate with the gateway (not the service's own) was sent.</summary>
    private sealed class CountingHandler(HttpMessageHandler inner, ConcurrentQueue<long> negotiations) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri?.AbsolutePath.EndsWith("/api/negotiate", StringComparison.Ordinal) == true)
            {
                negotiations.Enqueue(Stopwatch.GetTimestamp());
            }

            return base.SendAsync(request, cancellationToken);
        }
    }

    private sealed class InlineProgress(Action<PairingRequiredException> report) : IProgress<PairingRequiredException>
    {
        public void Report(PairingRequiredException value) => report(value);
    }

    public void Dispose() => errorLogs.AssertNoUnexpectedErrors();
}
