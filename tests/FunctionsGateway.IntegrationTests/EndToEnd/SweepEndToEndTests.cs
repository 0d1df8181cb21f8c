using System.Text.Json;
using FunctionsGateway.Client;
using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Runs;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.LocalHost;
using FunctionsGateway.Protocol;
using FunctionsGateway.SignalR.Serverless;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.IntegrationTests.EndToEnd;

/// <summary>
/// The local host's own sweep timer, end to end: real SignalR clients whose transport ends while the gateway never hears
/// of it (an <see cref="UpstreamTap"/> loses their <c>disconnected</c> event). The host sweeps every second with a
/// one-second grace period, on an Azurite of its own, so its queues and rows are nobody else's.
/// </summary>
public sealed class SweepEndToEndTests : IAsyncLifetime
{
    private const string AdminKey = "sweep-e2e-admin-key-0123456789";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly CapturingLoggerProvider logs = new();
    private readonly string agentId = "sweep" + Guid.NewGuid().ToString("N")[..12];
    private PrivateAzurite storage = null!;
    private UpstreamTap tap = null!;
    private WebApplication app = null!;
    private Uri baseUrl = null!;

    public async Task InitializeAsync()
    {
        storage = await PrivateAzurite.StartAsync();
        baseUrl = new Uri($"http://127.0.0.1:{LocalHostFixture.FreePort()}");
        tap = await UpstreamTap.StartAsync(new Uri(baseUrl, "/api/signalr/upstream"));
        app = LocalGatewayApp.Build(["--urls", baseUrl.ToString().TrimEnd('/')], new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = storage.ConnectionString,
            ["Gateway:SharedToken"] = GatewayHarness.SharedToken,
            ["Gateway:AdminKey"] = AdminKey,
            ["LocalHost:UpstreamUrl"] = tap.Url.ToString(),
            ["LocalHost:QueueRetrySeconds"] = "1",
            ["GatewaySweepSchedule"] = "* * * * * *",
            ["Gateway:Sweep:GracePeriod"] = "00:00:01",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:FunctionsGateway.Core.Maintenance"] = "Debug",
        });
        app.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);
        await app.StartAsync();
    }

    [Fact]
    public async Task A_connection_whose_disconnect_never_reached_the_gateway_is_swept_and_a_live_one_stays()
    {
        await using var live = await PairedAsync([OperatorScopes.Read]);
        var doomed = await PairedAsync([OperatorScopes.Read]);
        var lost = tap.LoseDisconnectOf(doomed.ConnectionId);

        await doomed.DisposeAsync();
        await lost.WaitAsync(Patience);

        await Eventually.HoldsAsync(async () => await RowAsync(doomed.ConnectionId) is null, Patience, "the lost connection's row was never swept");
        Assert.Contains(logs.Entries, e => e.EventId.Id == 1160 && e.Message.Contains(doomed.ConnectionId, StringComparison.Ordinal) && e.Message.Contains("Admitted", StringComparison.Ordinal));

        // The live connection was asked about (its row is older than the grace period) and stays usable.
        await Eventually.HoldsAsync(() => logs.Entries.Count(e => e.EventId.Id == 1164 || e.EventId.Id == 1163) >= 3, Patience, "the host swept fewer than three times");
        Assert.Equal(ConnectionState.Admitted, (await RowAsync(live.ConnectionId))?.State);
        var status = await live.InvokeAsync(GatewayMethods.Status);
        Assert.Equal(live.ConnectionId, status.GetProperty("connection").GetProperty("connectionId").GetString());
        Assert.DoesNotContain(logs.Entries, e => e.EventId.Id == 1160 && e.Message.Contains(live.ConnectionId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_worker_whose_disconnect_was_lost_is_swept_its_run_fails_and_the_next_run_goes_to_a_live_worker()
    {
        await using var op = await PairedAsync([OperatorScopes.Write]);
        var deadClient = await PairedAsync([], GatewayRoles.Node);
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var deadWorker = new AgentWorkerHost(async (_, ct) =>
        {
            running.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return "never";
        }, new AgentWorkerOptions { AgentIds = [agentId] });
        await deadWorker.StartAsync(deadClient);
        var first = await StartRunAsync(op);
        await running.Task.WaitAsync(Patience);

        await using var liveClient = await PairedAsync([], GatewayRoles.Node);
        await using var liveWorker = new AgentWorkerHost((run, _) => Task.FromResult("echo: " + run.Task), new AgentWorkerOptions { AgentIds = [agentId] });
        await liveWorker.StartAsync(liveClient);

        var lost = tap.LoseDisconnectOf(deadClient.ConnectionId);
        await deadClient.DisposeAsync();
        await lost.WaitAsync(Patience);

        await Eventually.HoldsAsync(async () => Str(await RunAsync(op, first), "status") == RunStatuses.Failed, Patience, "the dead worker's run never failed");
        Assert.Equal("failed: the worker disconnected mid-run", Str(await RunAsync(op, first), "error"));
        Assert.Null(await app.Services.GetRequiredService<IRunStore>().GetWorkerAsync(deadClient.ConnectionId, CancellationToken.None));

        var second = await StartRunAsync(op);
        await Eventually.HoldsAsync(async () => Str(await RunAsync(op, second), "status") == RunStatuses.Completed, Patience, "the next run never completed");
        Assert.Equal("echo: work", Str(await RunAsync(op, second), "output"));
        var stored = await app.Services.GetRequiredService<IRunStore>().GetAsync(second, CancellationToken.None);
        Assert.Equal(liveClient.ConnectionId, stored!.OfferedTo);
    }

    [Fact]
    public async Task The_local_service_answers_the_existence_check_as_the_service_does()
    {
        await using var live = await PairedAsync([OperatorScopes.Read]);
        var service = app.Services.GetRequiredService<ISignalRServiceClient>();

        Assert.True(await service.ConnectionExistsAsync(GatewayProtocol.Hub, live.ConnectionId));
        Assert.False(await service.ConnectionExistsAsync(GatewayProtocol.Hub, "never-" + Guid.NewGuid().ToString("N")));

        // Signed with another key, the question is refused: that is "could not ask", never "gone".
        using var http = new HttpClient();
        var stranger = new SignalRRestClient(http, SignalRConnectionString.Parse($"Endpoint=http://{baseUrl.Host};Port={baseUrl.Port};AccessKey={new string('x', 44)};Version=1.0;"),
            new SignalRRestClientOptions { RetryDelay = TimeSpan.Zero });
        var refused = await Assert.ThrowsAsync<SignalRServiceException>(() => stranger.ConnectionExistsAsync(GatewayProtocol.Hub, live.ConnectionId));
        Assert.Equal(401, refused.StatusCode);
    }

    public async Task DisposeAsync()
    {
        // The sweep timer is running: the host must still stop promptly and cleanly.
        using (var stop = new CancellationTokenSource(Patience))
        {
            await app.StopAsync(stop.Token);
        }

        await app.DisposeAsync();
        await tap.DisposeAsync();
        await storage.DisposeAsync();
        logs.AssertNoUnexpectedErrors();
    }

    private async Task<ConnectionRecord?> RowAsync(string connectionId)
        => await app.Services.GetRequiredService<IConnectionStore>().GetAsync(connectionId, CancellationToken.None);

    private async Task<string> StartRunAsync(GatewayClient op)
        => Str(await op.InvokeAsync(GatewayMethods.Agent, new { sessionKey = SessionKeys.Main(agentId), task = "work" }), "runId")!;

    private static Task<JsonElement> RunAsync(GatewayClient op, string runId) => op.InvokeAsync(GatewayMethods.RunsGet, new { runId });

    private async Task<GatewayClient> PairedAsync(string[] scopes, string role = GatewayRoles.Operator)
    {
        var options = new GatewayClientOptions
        {
            GatewayUrl = baseUrl,
            SharedToken = GatewayHarness.SharedToken,
            IdentityPath = LocalHostFixture.NewIdentityPath(),
            Scopes = scopes,
            Role = role,
        };
        var pending = await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(options));
        using (var admin = new GatewayAdminClient(baseUrl, AdminKey))
        {
            await admin.ApproveAsync(pending.RequestId);
        }

        return await GatewayClient.ConnectAsync(options);
    }

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
