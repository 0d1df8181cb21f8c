using FunctionsGateway.Cli;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Tests.Client;

/// <summary><c>gateway worker --echo</c> against <see cref="FakeGateway"/>.</summary>
public sealed class WorkerCommandTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly TempDirectory temp = new();
    private readonly StringWriter output = new();
    private readonly StringWriter error = new();
    private FakeGateway gateway = null!;

    public async Task InitializeAsync() => gateway = await FakeGateway.StartAsync();

    public async Task DisposeAsync()
    {
        await gateway.DisposeAsync();
        temp.Dispose();
    }

    [Fact]
    public async Task Worker_waits_for_approval_then_echoes_each_run_and_exits_0_when_interrupted()
    {
        // The first connect needs an approval, the reconnect after it gets one: the pair code path, end to end.
        gateway.State.ApproveOnAttempt = 2;
        using var interrupt = new CancellationTokenSource();
        var worker = RunAsync(interrupt.Token, "worker", "--echo", "--agent-id", "main,alpha", "--agent-id", "beta", "--concurrency", "2", "--poll", "0");

        var connectionId = await gateway.State.FirstAdmission.WaitAsync(Patience);
        var ready = await gateway.State.WaitForNodeEventAsync(e => e.Kind == NodeEventKinds.Ready).WaitAsync(Patience);
        await gateway.State.SendEventAsync(connectionId, GatewayEvents.NodeRun,
            new NodeRunEvent("r1", SessionKeys.Main("main"), "main", "hi there", RunLanes.Main, null, 5000, false));
        var completed = await gateway.State.WaitForNodeEventAsync(e => e.RunId == "r1" && e.Kind == NodeEventKinds.Completed).WaitAsync(Patience);
        await interrupt.CancelAsync();

        Assert.Equal(ExitCodes.Success, await worker.WaitAsync(Patience));
        Assert.Equal(["main", "alpha", "beta"], ready.AgentIds!);
        Assert.Equal("echo: hi there", completed.Output);
        var lines = output.ToString().Split('\n', StringSplitOptions.TrimEntries);
        Assert.Contains(lines, l => l.StartsWith("pairing required: request ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("worker ready: device ", StringComparison.Ordinal) && l.Contains($"connection {connectionId}", StringComparison.Ordinal)
            && l.EndsWith("agents main,alpha,beta, concurrency 2", StringComparison.Ordinal));
        Assert.Contains("run r1 offered agent=main lane=main timeoutMs=5000", lines);
        Assert.Contains("run r1 started", lines);
        Assert.Contains("run r1 completed \"echo: hi there\"", lines);
        Assert.Equal("worker stopped", lines.Last(l => l.Length > 0));
    }

    [Theory]
    [InlineData("worker")]
    [InlineData("worker", "--echo", "--concurrency", "0")]
    [InlineData("worker", "--echo", "--agent-id", "Not An Id")]
    [InlineData("worker", "--echo", "extra")]
    [InlineData("worker", "--echo", "--scopes", "operator.read")]
    public async Task Worker_usage_errors_exit_64_before_connecting(params string[] argv)
    {
        Assert.Equal(ExitCodes.Usage, await RunAsync(CancellationToken.None, argv));
        Assert.StartsWith("gateway: ", error.ToString(), StringComparison.Ordinal);
        Assert.Empty(gateway.State.Requests);
    }

    [Fact]
    public async Task Help_lists_the_worker_command()
    {
        Assert.Equal(ExitCodes.Success, await RunAsync(CancellationToken.None, "--help"));
        Assert.Contains("gateway worker --echo [--agent-id ID ...] [--concurrency N]", output.ToString(), StringComparison.Ordinal);
    }

    private Task<int> RunAsync(CancellationToken cancellationToken, params string[] argv)
    {
        string[] settings = ["--url", gateway.Url.ToString(), "--token", FakeGateway.SharedToken, "--identity", temp.File("identity.json")];
        var console = new CliConsole(output, error, TextReader.Null, _ => null);
        return Task.Run(() => CliApp.RunAsync([.. argv, .. settings], console, cancellationToken));
    }
}
