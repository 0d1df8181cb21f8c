using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using FunctionsGateway.Client;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.LocalHost;
using FunctionsGateway.Protocol;
using FunctionsGateway.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace FunctionsGateway.IntegrationTests.Faults;

/// <summary>
/// The local host on a private Azurite, reached only over real sockets with the real SignalR client: storage frozen
/// (SIGSTOP) while a connected operator calls and approves, a new connection asks for a challenge and an admin uses
/// the admin API. Each answers within the deadline; after SIGCONT the same connections carry on and nothing is lost.
/// </summary>
public sealed class StorageStallEndToEndTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string AdminKey = "stall-admin-key-0123456789";

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(4);

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);

    private static readonly string[] Read = [OperatorScopes.Read];

    private readonly CapturingLoggerProvider logs = new();
    private PrivateAzurite storage = null!;
    private WebApplication app = null!;
    private Uri baseUrl = null!;

    public async Task InitializeAsync()
    {
        storage = await PrivateAzurite.StartAsync();
        baseUrl = new Uri($"http://127.0.0.1:{LocalHostFixture.FreePort()}");
        app = LocalGatewayApp.Build(["--urls", baseUrl.ToString().TrimEnd('/')], new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = storage.ConnectionString,
            ["Gateway:SharedToken"] = GatewayHarness.SharedToken,
            ["Gateway:AdminKey"] = AdminKey,
            ["Gateway:Storage:Deadline"] = Deadline.ToString("c"),
            ["LocalHost:QueueRetrySeconds"] = "1",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        app.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);
        await app.StartAsync();
    }

    [Fact]
    public async Task A_stall_answers_every_call_and_admin_request_within_the_deadline_and_the_host_recovers_when_storage_resumes()
    {
        // Before the stall: an approver with operator.pairing, and two devices waiting for approval.
        var approverOptions = Options([OperatorScopes.Read, OperatorScopes.Pairing]);
        using var admin = new GatewayAdminClient(baseUrl, AdminKey);
        await admin.ApproveAsync((await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(approverOptions))).RequestId);
        await using var approver = await GatewayClient.ConnectAsync(approverOptions);
        var viaMethodOptions = Options(Read);
        var viaAdminOptions = Options(Read);
        var viaMethod = (await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(viaMethodOptions))).RequestId;
        var viaAdmin = (await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(viaAdminOptions))).RequestId;
        await UntilOnlyLiveConnectionsAreStoredAsync(1);
        await using var fresh = await GatewayConnection.StartAsync(baseUrl);
        using var http = AdminHttp();
        using var freshKey = DeviceKey.Generate();

        // The challenge needs no storage (its nonce is stateless); the connect with it reads the device partition.
        var freshConnect = ConnectRequest.Build(freshKey, GatewayHarness.Client(), GatewayRoles.Operator, Read, (await fresh.ChallengeAsync()).Nonce,
            new ConnectAuth { Token = GatewayHarness.SharedToken }, DateTimeOffset.UtcNow);

        storage.Pause();
        TimeSpan[] elapsed;
        JsonElement status, approve, challenge;
        HttpResponseMessage list, adminApprove;
        try
        {
            // One connection's invocations are answered in order, so the operator's two calls go one after the other.
            var operatorCalls = Task.Run(async () => (
                await Time(() => approver.Connection.RequestAsync(GatewayMethods.Status)),
                await Time(() => approver.Connection.RequestAsync(GatewayMethods.DevicePairApprove, new { requestId = viaMethod }))));
            var challengeCall = Time(() => fresh.RequestAsync(GatewayMethods.Connect, freshConnect));
            var listCall = Time(() => http.GetAsync(new Uri(baseUrl, "api/admin/pairing")));
            var approveCall = Time(() => http.PostAsync(new Uri(baseUrl, $"api/admin/pairing/{viaAdmin}/approve"), null));
            ((status, var statusElapsed), (approve, var approveElapsed)) = await operatorCalls.WaitAsync(Patience);
            (challenge, var challengeElapsed) = await challengeCall.WaitAsync(Patience);
            (list, var listElapsed) = await listCall.WaitAsync(Patience);
            (adminApprove, var adminApproveElapsed) = await approveCall.WaitAsync(Patience);
            elapsed = [statusElapsed, approveElapsed, challengeElapsed, listElapsed, adminApproveElapsed];
        }
        finally
        {
            storage.Resume();
        }

        output.WriteLine("answered during the stall after (s): " + string.Join(", ", elapsed.Select(e => e.TotalSeconds.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture))));
        Assert.All(elapsed, e => Assert.True(e < Deadline + Margin, $"answered after {e.TotalSeconds:0.0} s; the deadline is {Deadline.TotalSeconds} s"));
        Assert.All([status, approve, challenge], AssertStorageUnavailable);
        await AssertUnavailableReplyAsync(list);
        await AssertUnavailableReplyAsync(adminApprove);

        // Storage is back: the connections that lived through the stall carry on, and each approval counts once.
        Assert.Equal(approver.DeviceId, (await approver.InvokeAsync(GatewayMethods.Status)).GetProperty("connection").GetProperty("deviceId").GetString());
        Assert.False(string.IsNullOrEmpty((await fresh.ChallengeAsync()).Nonce));
        var approved = await approver.InvokeAsync(GatewayMethods.DevicePairApprove, new { requestId = viaMethod });
        Assert.Equal("approved", approved.GetProperty("decision").GetString());
        Assert.Equal("approved", (await admin.ApproveAsync(viaAdmin)).Decision);
        await Assert.ThrowsAsync<GatewayException>(() => approver.InvokeAsync(GatewayMethods.DevicePairApprove, new { requestId = viaMethod }));
        var again = await Assert.ThrowsAsync<GatewayAdminException>(() => admin.ApproveAsync(viaAdmin));
        Assert.Contains(again.StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.Conflict });
        await using var viaMethodClient = await GatewayClient.ConnectAsync(viaMethodOptions);
        await using var viaAdminClient = await GatewayClient.ConnectAsync(viaAdminOptions);
        Assert.Equal(Read, viaMethodClient.Scopes);
        Assert.Equal(Read, viaAdminClient.Scopes);

        // Nothing stored before the stall is lost, and nothing is left pending.
        var pairing = await admin.ListAsync();
        Assert.Equal(
            new[] { approver.DeviceId, viaMethodClient.DeviceId, viaAdminClient.DeviceId }.Order(),
            pairing.Paired.Select(d => d.DeviceId).Order());
        Assert.Empty(pairing.Pending);

        // A stall is expected weather: warnings, never an error line (the queue pumps polled through it as well).
        logs.AssertNoUnexpectedErrors();
    }

    public async Task DisposeAsync()
    {
        storage.Resume();
        await app.StopAsync();
        await app.DisposeAsync();
        await storage.DisposeAsync();
    }

    private GatewayClientOptions Options(string[] scopes) => new()
    {
        GatewayUrl = baseUrl,
        SharedToken = GatewayHarness.SharedToken,
        IdentityPath = LocalHostFixture.NewIdentityPath(),
        Scopes = scopes,
    };

    private static HttpClient AdminHttp()
    {
        var http = new HttpClient { Timeout = Patience };
        http.DefaultRequestHeaders.Add(LocalGatewayApp.AdminKeyHeader, AdminKey);
        return http;
    }

    [Fact]
    public async Task A_client_that_leaves_during_a_stall_is_answered_within_the_deadline_and_its_row_waits_for_the_sweep()
    {
        var options = Options(Read);
        using var admin = new GatewayAdminClient(baseUrl, AdminKey);
        await admin.ApproveAsync((await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(options))).RequestId);
        var client = await GatewayClient.ConnectAsync(options);
        await UntilOnlyLiveConnectionsAreStoredAsync(1);

        storage.Pause();
        try
        {
            // The service's disconnected event reaches the upstream while storage is frozen.
            await client.DisposeAsync();
            await Eventually.HoldsAsync(() => logs.Entries.Any(e => e.EventId.Id == 504), Deadline + Margin,
                "the disconnect was not answered within the deadline");
        }
        finally
        {
            storage.Resume();
        }

        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
        await using var again = await GatewayClient.ConnectAsync(options);
        Assert.Equal(again.DeviceId, (await again.InvokeAsync(GatewayMethods.Status)).GetProperty("connection").GetProperty("deviceId").GetString());
    }

    /// <summary>
    /// Waits until the closes of the refused connections have been handled (their rows deleted), so that no disconnect
    /// is in flight when storage freezes: this test is about calls, and a disconnect has no caller to answer.
    /// </summary>
    private async Task UntilOnlyLiveConnectionsAreStoredAsync(int live)
    {
        var connections = app.Services.GetRequiredService<GatewayTables>().Connections;
        await Eventually.HoldsAsync(async () =>
        {
            var count = 0;
            await foreach (var _ in connections.QueryAsync<TableEntity>(select: ["PartitionKey"]))
            {
                count++;
            }

            return count == live;
        }, Patience, $"connection rows other than the {live} live ones stayed stored");
    }

    private static void AssertStorageUnavailable(JsonElement response)
    {
        Assert.False(response.GetProperty("ok").GetBoolean(), response.ToString());
        var error = response.GetProperty("error");
        Assert.Equal(ErrorCodes.Unavailable, error.GetProperty("code").GetString());
        Assert.Equal(DetailCodes.StorageUnavailable, error.GetProperty("details").GetProperty("code").GetString());
        Assert.Equal((long)Deadline.TotalMilliseconds, error.GetProperty("details").GetProperty("retryAfterMs").GetInt64());
    }

    private static async Task AssertUnavailableReplyAsync(HttpResponseMessage reply)
    {
        Assert.Equal(HttpStatusCode.ServiceUnavailable, reply.StatusCode);
        Assert.Equal("application/json", reply.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Deadline, reply.Headers.RetryAfter?.Delta);
        var error = JsonDocument.Parse(await reply.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal(ErrorCodes.Unavailable, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal(DetailCodes.StorageUnavailable, error.GetProperty("details").GetProperty("code").GetString());
        Assert.Equal((long)Deadline.TotalMilliseconds, error.GetProperty("details").GetProperty("retryAfterMs").GetInt64());
    }

    private static async Task<(T Value, TimeSpan Elapsed)> Time<T>(Func<Task<T>> call)
    {
        var clock = Stopwatch.StartNew();
        var value = await Task.Run(call);
        return (value, clock.Elapsed);
    }
}
