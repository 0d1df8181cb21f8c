using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Azure.Storage.Queues;
using FunctionsGateway.Client;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;
using FunctionsGateway.Storage;
using FunctionsGateway.Tests;

namespace FunctionsGateway.IntegrationTests.EndToEnd;

/// <summary>
/// Spawning sub-agents through the local host with real clients over real sockets: an operator with write scope
/// spawns, a worker (.NET or Node.js) runs it, the requester session hears the end, and the child is cleaned up.
/// Each test serves its own agent id, so workers of other tests are never offered its runs.
/// </summary>
[Collection(LocalHostCollection.Name)]
public sealed class SpawnEndToEndTests(LocalHostFixture host) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>An Error/Critical line the local host logs during the test fails it unless the test declares it.</summary>
    private readonly ErrorLogCheck errorLogs = host.CheckErrorLogs();

    private readonly string agentId = "e2e" + Guid.NewGuid().ToString("N")[..12];

    private string Requester => SessionKeys.Main(agentId);

    [Fact]
    public async Task A_spawn_runs_on_the_dotnet_echo_worker_and_is_announced_then_deleted()
    {
        await using var op = await PairedAsync([OperatorScopes.Write]);
        await using var workerClient = await PairedAsync([], GatewayRoles.Node);
        var updates = new ConcurrentQueue<AgentRunUpdate>();
        await using var worker = new AgentWorkerHost((run, _) => Task.FromResult("echo: " + run.Task), new AgentWorkerOptions { AgentIds = [agentId] });
        worker.RunUpdated += updates.Enqueue;
        await worker.StartAsync(workerClient);

        var announced = await SubscribeAsync(op, Requester, GatewayEvents.SubagentCompleted);
        var accepted = await op.InvokeAsync(GatewayMethods.SessionsSpawn, new { sessionKey = Requester, task = "hello", cleanup = SpawnCleanup.Delete });
        var runId = accepted.GetProperty("runId").GetString()!;
        var child = accepted.GetProperty("childSessionKey").GetString()!;
        Assert.Equal("accepted", accepted.GetProperty("status").GetString());

        var end = await announced.ReadAsync().AsTask().WaitAsync(Patience);
        Assert.Equal((runId, child, RunStatuses.Completed, "echo: hello"),
            (Str(end, "runId"), Str(end, "childSessionKey"), Str(end, "status"), Str(end, "output")));
        Assert.Equal([AgentRunPhase.Offered, AgentRunPhase.Started, AgentRunPhase.Completed], updates.Where(u => u.Run.RunId == runId).Select(u => u.Phase).ToArray());
        await AssertAnnouncedInHistoryAsync(op, runId, "echo: hello");
        await AssertCleanedUpAsync(op, runId, child);
    }

    [Fact]
    public async Task A_spawn_runs_on_the_node_echo_worker_and_is_announced_then_deleted()
    {
        var root = RepoPaths.Root;
        var identity = LocalHostFixture.NewIdentityPath();
        var lines = Channel.CreateUnbounded<string>();
        var start = new ProcessStartInfo("node", [Path.Combine(root, "examples", "node-echo-worker", "worker.mjs")])
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["GATEWAY_URL"] = host.BaseUrl.ToString().TrimEnd('/'),
                ["GATEWAY_SHARED_TOKEN"] = GatewayHarness.SharedToken,
                ["GATEWAY_IDENTITY"] = identity,
                ["WORKER_AGENT_IDS"] = agentId,
                ["WORKER_RETRY_MS"] = "200",
            },
        };
        await using var owned = OwnedProcess.Start(start);
        var node = owned.Process;
        var stderr = new ConcurrentQueue<string>();
        node.OutputDataReceived += (_, e) => { if (e.Data is not null) { lines.Writer.TryWrite(e.Data); } };
        node.ErrorDataReceived += (_, e) => { if (e.Data is not null) { stderr.Enqueue(e.Data); } };
        node.BeginOutputReadLine();
        node.BeginErrorReadLine();
        try
        {
            var pairing = await NextLineAsync(lines, "pairing-required ", stderr);
            using (var admin = host.Admin())
            {
                await admin.ApproveAsync(pairing["pairing-required ".Length..].Trim());
            }

            await NextLineAsync(lines, "ready ", stderr);
            await using var op = await PairedAsync([OperatorScopes.Write]);
            var announced = await SubscribeAsync(op, Requester, GatewayEvents.SubagentCompleted);
            var accepted = await op.InvokeAsync(GatewayMethods.SessionsSpawn, new { sessionKey = Requester, task = "from node", cleanup = SpawnCleanup.Delete });
            var runId = accepted.GetProperty("runId").GetString()!;

            Assert.Equal($"run {runId} started", await NextLineAsync(lines, "run ", stderr));
            Assert.Equal($"run {runId} completed", await NextLineAsync(lines, "run ", stderr));
            var end = await announced.ReadAsync().AsTask().WaitAsync(Patience);
            Assert.Equal((runId, RunStatuses.Completed, "echo: from node"), (Str(end, "runId"), Str(end, "status"), Str(end, "output")));
            await AssertAnnouncedInHistoryAsync(op, runId, "echo: from node");
            await AssertCleanedUpAsync(op, runId, accepted.GetProperty("childSessionKey").GetString()!);
        }
        finally
        {
            // The worker exits 0 on SIGTERM; read the code before the process object is released.
            await owned.StopAsync();
        }

        Assert.Equal(0, owned.ExitCode);
    }

    [Fact]
    public async Task A_spawn_no_worker_starts_times_out_and_is_announced_as_timed_out()
    {
        await using var op = await PairedAsync([OperatorScopes.Write]);
        var announced = await SubscribeAsync(op, Requester, GatewayEvents.SubagentCompleted);

        var accepted = await op.InvokeAsync(GatewayMethods.SessionsSpawn, new { sessionKey = Requester, task = "nobody", runTimeoutSeconds = 2 });

        var end = await announced.ReadAsync().AsTask().WaitAsync(Patience);
        Assert.Equal((accepted.GetProperty("runId").GetString(), RunStatuses.TimedOut), (Str(end, "runId"), Str(end, "status")));
        Assert.Equal("timed out: no worker started the run within 2 s", Str(end, "error"));
    }

    [Fact]
    public async Task A_worker_that_disconnects_mid_run_leaves_the_run_failed_with_a_reason()
    {
        await using var op = await PairedAsync([OperatorScopes.Write]);
        var workerClient = await PairedAsync([], GatewayRoles.Node);
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var worker = new AgentWorkerHost(async (_, ct) =>
        {
            running.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return "never";
        }, new AgentWorkerOptions { AgentIds = [agentId] });
        await worker.StartAsync(workerClient);
        var announced = await SubscribeAsync(op, Requester, GatewayEvents.SubagentCompleted);
        var accepted = await op.InvokeAsync(GatewayMethods.SessionsSpawn, new { sessionKey = Requester, task = "long" });
        await running.Task.WaitAsync(Patience);

        await workerClient.DisposeAsync();

        var end = await announced.ReadAsync().AsTask().WaitAsync(Patience);
        Assert.Equal((accepted.GetProperty("runId").GetString(), RunStatuses.Failed, "failed: the worker disconnected mid-run"),
            (Str(end, "runId"), Str(end, "status"), Str(end, "error")));
    }

    [Fact]
    public async Task A_malformed_spawn_message_ends_in_the_poison_queue_naming_its_id_and_changes_nothing()
    {
        errorLogs.Expect("FunctionsGateway.LocalHost.QueuePump", "moved to the poison queue");
        var queues = new QueueServiceClient(Azurite.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var poison = queues.GetQueueClient(StorageNames.SpawnQueue + GatewayQueues.PoisonSuffix);
        await poison.ClearMessagesAsync();
        var marker = "not a spawn " + Guid.NewGuid().ToString("N");
        var sent = await queues.GetQueueClient(StorageNames.SpawnQueue).SendMessageAsync("{\"note\":\"" + marker + "\"}");
        var messageId = sent.Value.MessageId;

        var deadline = DateTime.UtcNow + Patience;
        while (!(await poison.PeekMessagesAsync(32)).Value.Any(m => m.Body.ToString().Contains(marker, StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, "the malformed message never reached the poison queue");
            await WaitForQueueAsync();
        }

        Assert.Contains(host.Logs.Entries, e => e.EventId.Id == 530 && e.Message.Contains(messageId, StringComparison.Ordinal));
        Assert.Contains(host.Logs.Entries, e => e.EventId.Id == 900 && e.Message.Contains(messageId, StringComparison.Ordinal));
    }

    public void Dispose() => errorLogs.AssertNoUnexpectedErrors();

    private async Task<GatewayClient> PairedAsync(string[] scopes, string role = GatewayRoles.Operator)
    {
        var options = host.Options(LocalHostFixture.NewIdentityPath(), scopes, role: role);
        var pending = await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(options));
        using (var admin = host.Admin())
        {
            await admin.ApproveAsync(pending.RequestId);
        }

        return await GatewayClient.ConnectAsync(options);
    }

    /// <summary>Subscribes <paramref name="client"/> to a session and hands back that session's events of one name.</summary>
    private static async Task<ChannelReader<JsonElement>> SubscribeAsync(GatewayClient client, string sessionKey, string eventName)
    {
        var channel = Channel.CreateUnbounded<JsonElement>();
        client.EventReceived += e =>
        {
            if (e.Event == eventName && e.Payload.TryGetProperty("requesterSessionKey", out var key) && key.GetString() == sessionKey)
            {
                channel.Writer.TryWrite(e.Payload);
            }
        };
        await client.InvokeAsync(GatewayMethods.SessionsSubscribe, new { sessionKey });
        return channel.Reader;
    }

    private async Task AssertAnnouncedInHistoryAsync(GatewayClient op, string runId, string output)
    {
        var history = await op.InvokeAsync(GatewayMethods.ChatHistory, new { sessionKey = Requester });
        Assert.Contains(history.GetProperty("messages").EnumerateArray(),
            m => Str(m, "role") == ChatRoles.Subagent && Str(m, "runId") == runId && Str(m, "text") == output);
    }

    /// <summary>cleanup: delete — the child session is gone and the sub-agent identity is no longer paired.</summary>
    private async Task AssertCleanedUpAsync(GatewayClient op, string runId, string child)
    {
        var run = await op.InvokeAsync(GatewayMethods.RunsGet, new { runId });
        Assert.Equal(RunStatuses.Completed, Str(run, "status"));
        var identity = Str(run, "subagentDeviceId");
        Assert.False(string.IsNullOrEmpty(identity));

        // The announcement comes before the cleanup: wait for the child to go, within the test's patience.
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var gone = await Assert.ThrowsAnyAsync<Exception>(() => op.InvokeAsync(GatewayMethods.SessionsGet, new { sessionKey = child }))
                .ContinueWith(t => t.IsCompletedSuccessfully && t.Result is GatewayException { DetailCode: DetailCodes.SessionNotFound }, TaskScheduler.Default);
            using var admin = host.Admin();
            var paired = (await admin.ListAllAsync()).Paired.Any(d => d.DeviceId == identity);
            if (gone && !paired)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"after cleanup: child present {!gone}, identity paired {paired}");
            await WaitForQueueAsync();
        }
    }

    private static async Task<string> NextLineAsync(ChannelReader<string> lines, string prefix, ConcurrentQueue<string> stderr)
    {
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            while (true)
            {
                var line = await lines.ReadAsync(timeout.Token);
                if (line.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no line starting '{prefix}' from the node worker; stderr:\n{string.Join('\n', stderr)}");
        }
    }

    /// <summary>The local pump polls its queues every 200 ms when idle; look again after one poll.</summary>
    private static Task WaitForQueueAsync() => Task.Delay(TimeSpan.FromMilliseconds(200));

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
