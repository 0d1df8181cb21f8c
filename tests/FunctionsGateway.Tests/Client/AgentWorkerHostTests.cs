using System.Collections.Concurrent;
using System.Threading.Channels;
using FunctionsGateway.Client;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Tests.Client;

/// <summary>The worker host against <see cref="FakeGateway"/>: runs pushed as events, claims and reports recorded by the fake.</summary>
public sealed class AgentWorkerHostTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly TempDirectory temp = new();
    private FakeGateway gateway = null!;

    public async Task InitializeAsync()
    {
        gateway = await FakeGateway.StartAsync();
        gateway.State.ApproveOnAttempt = 1;
    }

    public async Task DisposeAsync()
    {
        await gateway.DisposeAsync();
        temp.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_run_is_claimed_then_completed_with_the_delegates_output(bool messagePack)
    {
        await using var client = await ConnectNodeAsync(messagePack);
        await using var host = new AgentWorkerHost(async (run, ct) =>
        {
            await run.ReportProgressAsync("working on " + run.Task, ct);
            return $"done: {run.Task} ({run.AgentId}, {run.Lane}, {run.Timeout?.TotalSeconds}s)";
        });
        await host.StartAsync(client);

        await OfferAsync(client, Run("r1", "hello"));
        await EndOf("r1");

        var events = gateway.State.NodeEventsOf("r1");
        Assert.Equal([NodeEventKinds.Started, NodeEventKinds.Progress, NodeEventKinds.Completed], events.Select(e => e.Kind));
        Assert.Equal("working on hello", events[1].Output);
        Assert.Equal("done: hello (main, main, 60s)", events[2].Output);
        Assert.Null(events[2].Error);
        Assert.DoesNotContain(gateway.State.NodeEvents, e => e.Kind == NodeEventKinds.Ready);
    }

    [Fact]
    public async Task A_delegate_exception_is_reported_as_failed_with_its_message_and_the_host_keeps_serving()
    {
        await using var client = await ConnectNodeAsync();
        await using var host = new AgentWorkerHost((run, _) =>
            run.Task == "boom" ? throw new InvalidOperationException("the agent broke") : Task.FromResult("fine"));
        await host.StartAsync(client);

        await OfferAsync(client, Run("r1", "boom"));
        var failed = await EndOf("r1");
        await OfferAsync(client, Run("r2", "calm"));
        var completed = await EndOf("r2");

        Assert.Equal(NodeEventKinds.Failed, failed.Kind);
        Assert.Equal("the agent broke", failed.Error);
        Assert.Equal([NodeEventKinds.Started, NodeEventKinds.Failed], gateway.State.NodeEventsOf("r1").Select(e => e.Kind));
        Assert.Equal(NodeEventKinds.Completed, completed.Kind);
        Assert.Equal("fine", completed.Output);
    }

    [Fact]
    public async Task Node_run_cancel_cancels_the_delegate_and_nothing_more_is_reported()
    {
        await using var client = await ConnectNodeAsync();
        var blocking = new BlockingAgent();
        await using var host = new AgentWorkerHost(blocking.RunAsync);
        var updates = new RunUpdateRecorder(host);
        await host.StartAsync(client);

        await OfferAsync(client, Run("r1"));
        await blocking.Entered.WaitAsync(Patience);
        await gateway.State.SendEventAsync(client.ConnectionId, GatewayEvents.NodeRunCancel, new NodeRunCancelEvent("r1", "aborted"));

        await blocking.Cancelled.WaitAsync(Patience);
        var end = await updates.WaitForEndAsync("r1").WaitAsync(Patience);
        Assert.Equal(AgentRunPhase.Cancelled, end.Phase);
        Assert.Equal("aborted", end.Detail);
        // The end is announced after any report would have been sent: there was none.
        Assert.Equal([NodeEventKinds.Started], gateway.State.NodeEventsOf("r1").Select(e => e.Kind));
    }

    [Fact]
    public async Task The_runs_timeout_cancels_the_delegate_and_reports_failed()
    {
        await using var client = await ConnectNodeAsync();
        var blocking = new BlockingAgent();
        await using var host = new AgentWorkerHost(blocking.RunAsync);
        await host.StartAsync(client);

        await OfferAsync(client, Run("r1", timeoutMs: 200));

        var failed = await EndOf("r1");
        Assert.Equal(NodeEventKinds.Failed, failed.Kind);
        Assert.Equal("timed out after 200 ms", failed.Error);
        await blocking.Cancelled.WaitAsync(Patience);
    }

    [Fact]
    public async Task A_start_refused_with_RUN_NOT_OFFERED_drops_the_run_without_running_the_delegate()
    {
        await using var client = await ConnectNodeAsync();
        var ran = new ConcurrentQueue<string>();
        await using var host = new AgentWorkerHost((run, _) =>
        {
            ran.Enqueue(run.RunId);
            return Task.FromResult("ran");
        });
        var updates = new RunUpdateRecorder(host);
        gateway.State.RefuseStart["r1"] = true;
        await host.StartAsync(client);

        await OfferAsync(client, Run("r1"));
        var refused = await updates.WaitForEndAsync("r1").WaitAsync(Patience);
        await OfferAsync(client, Run("r2"));
        // One slot: r2 is claimed only once r1 has let go of it, so a delegate run for r1 would already have happened.
        await EndOf("r2");

        Assert.Equal(AgentRunPhase.Refused, refused.Phase);
        Assert.Equal(["r2"], ran);
        Assert.Equal([NodeEventKinds.Started], gateway.State.NodeEventsOf("r1").Select(e => e.Kind));
        Assert.Equal([AgentRunPhase.Offered, AgentRunPhase.Refused], updates.PhasesOf("r1"));
    }

    [Fact]
    public async Task No_more_runs_execute_at_once_than_the_limit_and_the_rest_are_claimed_as_slots_free()
    {
        const int limit = 2;
        string[] runIds = ["r1", "r2", "r3", "r4"];
        await using var client = await ConnectNodeAsync();
        var entered = Channel.CreateUnbounded<string>();
        var release = runIds.ToDictionary(id => id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var running = 0;
        var maxRunning = 0;
        await using var host = new AgentWorkerHost(async (run, _) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref maxRunning, now);
            entered.Writer.TryWrite(run.RunId);
            await release[run.RunId].Task;
            Interlocked.Decrement(ref running);
            return "ok";
        }, new AgentWorkerOptions { MaxConcurrentRuns = limit });
        var updates = new RunUpdateRecorder(host);
        await host.StartAsync(client);

        foreach (var id in runIds)
        {
            await OfferAsync(client, Run(id));
        }

        foreach (var id in runIds)
        {
            await updates.WaitAsync(id, AgentRunPhase.Offered).WaitAsync(Patience);
        }

        // Both slots busy; then release the executing runs one at a time: the next can only enter once a slot is free.
        var inside = new Queue<string>();
        for (var i = 0; i < limit; i++)
        {
            inside.Enqueue(await entered.Reader.ReadAsync().AsTask().WaitAsync(Patience));
        }

        for (var released = 0; released < runIds.Length; released++)
        {
            var id = inside.Dequeue();
            release[id].SetResult();
            await EndOf(id);
            if (released + inside.Count + 1 < runIds.Length)
            {
                inside.Enqueue(await entered.Reader.ReadAsync().AsTask().WaitAsync(Patience));
            }
        }

        Assert.Equal(limit, maxRunning);
        var outstanding = 0;
        foreach (var e in gateway.State.NodeEvents)
        {
            outstanding += e.Kind == NodeEventKinds.Started ? 1 : e.Kind is NodeEventKinds.Completed or NodeEventKinds.Failed ? -1 : 0;
            Assert.InRange(outstanding, 0, limit);
        }

        Assert.All(runIds, id => Assert.Equal(NodeEventKinds.Completed, gateway.State.NodeEventsOf(id)[^1].Kind));
    }

    [Fact]
    public async Task Ready_names_the_served_agents_and_offers_for_other_agents_are_ignored()
    {
        await using var client = await ConnectNodeAsync();
        var ran = new ConcurrentQueue<string>();
        await using var host = new AgentWorkerHost((run, _) =>
        {
            ran.Enqueue(run.RunId);
            return Task.FromResult("ok");
        }, new AgentWorkerOptions { AgentIds = ["alpha"] });
        var updates = new RunUpdateRecorder(host);
        await host.StartAsync(client);

        var ready = Assert.Single(gateway.State.NodeEvents);
        Assert.Equal(NodeEventKinds.Ready, ready.Kind);
        Assert.Equal(["alpha"], ready.AgentIds!);
        Assert.Null(ready.RunId);

        await OfferAsync(client, Run("b1", agentId: "beta"));
        await OfferAsync(client, Run("a1", agentId: "alpha"));
        await EndOf("a1");

        Assert.Equal(["a1"], ran);
        Assert.Empty(gateway.State.NodeEventsOf("b1"));
        // Offers are read in order: b1 was turned away before a1 was even read.
        Assert.Empty(updates.PhasesOf("b1"));
    }

    [Fact]
    public async Task When_the_connection_closes_its_runs_are_cancelled_and_the_next_connection_is_served()
    {
        var blocking = new BlockingAgent(block: run => run.RunId == "r1");
        await using var host = new AgentWorkerHost(blocking.RunAsync);
        var updates = new RunUpdateRecorder(host);
        await using var first = await ConnectNodeAsync();
        await using var second = await ConnectNodeAsync();
        await host.StartAsync(first);

        await OfferAsync(first, Run("r1"));
        await blocking.Entered.WaitAsync(Patience);
        await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync(second));
        await first.InvokeAsync("test.revoke");
        await first.Closed.WaitAsync(Patience);

        await blocking.Cancelled.WaitAsync(Patience);
        var end = await updates.WaitForEndAsync("r1").WaitAsync(Patience);
        Assert.Equal(AgentRunPhase.Cancelled, end.Phase);
        Assert.Equal("connection closed", end.Detail);

        await host.StartAsync(second);
        await OfferAsync(second, Run("r2", "again"));
        var completed = await EndOf("r2");
        Assert.Equal("echo again", completed.Output);
        Assert.Equal([NodeEventKinds.Started], gateway.State.NodeEventsOf("r1").Select(e => e.Kind));
    }

    [Fact]
    public async Task StopAsync_reports_a_claimed_run_failed_and_returns_once_its_delegate_has()
    {
        await using var client = await ConnectNodeAsync();
        var blocking = new BlockingAgent();
        await using var host = new AgentWorkerHost(blocking.RunAsync);
        await host.StartAsync(client);
        await OfferAsync(client, Run("r1"));
        await blocking.Entered.WaitAsync(Patience);

        await host.StopAsync().WaitAsync(Patience);

        Assert.True(blocking.Cancelled.IsCompleted);
        Assert.Equal(0, host.ActiveRuns);
        var last = gateway.State.NodeEventsOf("r1")[^1];
        Assert.Equal(NodeEventKinds.Failed, last.Kind);
        Assert.Equal("worker stopped", last.Error);
    }

    [Fact]
    public async Task A_node_connection_is_required_and_options_are_validated()
    {
        var options = gateway.Options(temp.File("identity.json"), messagePack: false, OperatorScopes.Read);
        await using var operatorClient = await GatewayClient.ConnectAsync(options);
        await using var host = new AgentWorkerHost((_, _) => Task.FromResult(string.Empty));

        await Assert.ThrowsAsync<ArgumentException>(() => host.StartAsync(operatorClient));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AgentWorkerHost((_, _) => Task.FromResult(string.Empty), new AgentWorkerOptions { MaxConcurrentRuns = 0 }));
        Assert.Throws<ArgumentException>(() => new AgentWorkerHost((_, _) => Task.FromResult(string.Empty), new AgentWorkerOptions { AgentIds = ["Not An Id"] }));
    }

    private Task<GatewayClient> ConnectNodeAsync(bool messagePack = false)
    {
        var options = gateway.Options(temp.File("identity.json"), messagePack);
        options.Role = GatewayRoles.Node;
        return GatewayClient.ConnectAsync(options);
    }

    private Task OfferAsync(GatewayClient client, NodeRunEvent run) => gateway.State.SendEventAsync(client.ConnectionId, GatewayEvents.NodeRun, run);

    /// <summary>The run's final report (completed or failed) as the fake received it.</summary>
    private Task<NodeEventParams> EndOf(string runId)
        => gateway.State.WaitForNodeEventAsync(e => e.RunId == runId && e.Kind is NodeEventKinds.Completed or NodeEventKinds.Failed).WaitAsync(Patience);

    private static NodeRunEvent Run(string runId, string task = "hello", long timeoutMs = 60_000, string agentId = "main")
        => new(runId, SessionKeys.Main(agentId), agentId, task, RunLanes.Main, null, timeoutMs, false);

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>An agent that, for the runs it blocks, signals entry and waits for its token; the others echo at once.</summary>
    private sealed class BlockingAgent(Func<AgentRun, bool>? block = null)
    {
        private readonly TaskCompletionSource entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Entered => entered.Task;

        public Task Cancelled => cancelled.Task;

        public async Task<string> RunAsync(AgentRun run, CancellationToken cancellationToken)
        {
            if (block is not null && !block(run))
            {
                return "echo " + run.Task;
            }

            entered.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                cancelled.TrySetResult();
                throw;
            }

            return "never";
        }
    }
}
