using System.Net;
using System.Text.Json;
using FunctionsGateway.Client;
using FunctionsGateway.Core.Admission;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.LocalHost;
using FunctionsGateway.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.IntegrationTests.EndToEnd;

/// <summary>
/// A local host on an Azurite of its own, with a gateway cap of one pending request: its caps and its close queue are
/// nobody else's. Each test leaves no pending request behind, so the next one finds the cap free.
/// </summary>
public sealed class PairingLimitHost : IAsyncLifetime
{
    private PrivateAzurite storage = null!;
    private WebApplication app = null!;

    public CapturingLoggerProvider Logs { get; } = new();

    public Uri BaseUrl { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        storage = await PrivateAzurite.StartAsync();
        BaseUrl = new Uri($"http://127.0.0.1:{LocalHostFixture.FreePort()}");
        app = LocalGatewayApp.Build(["--urls", BaseUrl.ToString().TrimEnd('/')], new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = storage.ConnectionString,
            ["Gateway:SharedToken"] = GatewayHarness.SharedToken,
            ["Gateway:AdminKey"] = LocalHostFixture.AdminKey,
            ["Gateway:Pairing:MaxPending"] = "1",
            ["Gateway:Pairing:MaxPendingPerAddress"] = "1",
            ["LocalHost:QueueRetrySeconds"] = "1",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        app.Services.GetRequiredService<ILoggerFactory>().AddProvider(Logs);
        await app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        await storage.DisposeAsync();
    }

    public GatewayAdminClient Admin() => new(BaseUrl, LocalHostFixture.AdminKey);
}

/// <summary>
/// The pairing limits through the local host with the real SignalR client, over real sockets: the refusal arrives as a
/// structured answer before the close, and the admin API answers 409 to a second decision.
/// </summary>
public sealed class PairingLimitEndToEndTests(PairingLimitHost host) : IClassFixture<PairingLimitHost>, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly string[] Read = [OperatorScopes.Read];

    private readonly ErrorLogCheck errorLogs = host.Logs.StartCheck("by the pairing-limit host during this test");

    public void Dispose() => errorLogs.AssertNoUnexpectedErrors();

    [Fact]
    public async Task Past_the_cap_the_client_reads_pairing_pending_limit_and_then_the_connection_closes_with_its_reason()
    {
        using var first = DeviceKey.Generate();
        using var second = DeviceKey.Generate();
        await using var filed = await GatewayConnection.StartAsync(host.BaseUrl);
        Assert.Equal(ErrorCodes.NotPaired, (await ConnectAsync(filed, first)).GetProperty("error").GetProperty("code").GetString());

        await using var refused = await GatewayConnection.StartAsync(host.BaseUrl, useMessagePack: true);
        var answer = await ConnectAsync(refused, second);

        Assert.False(refused.Closed.IsCompleted, "the close must not overtake the answer");
        var error = answer.GetProperty("error");
        Assert.Equal(ErrorCodes.Unavailable, error.GetProperty("code").GetString());
        Assert.Equal(DetailCodes.PendingLimit, error.GetProperty("details").GetProperty("code").GetString());
        Assert.Equal("maxPending", error.GetProperty("details").GetProperty("limit").GetString());
        Assert.Equal(AdmissionService.PendingLimitCloseReason, await refused.Closed.WaitAsync(Patience));

        using var admin = host.Admin();
        var only = Assert.Single((await admin.ListAsync()).Pending);
        Assert.Equal(first.DeviceId, only.DeviceId);
        await admin.RejectAsync(only.RequestId);
    }

    [Fact]
    public async Task Three_bad_signatures_on_one_connection_end_in_attempts_exhausted_and_the_close()
    {
        using var key = DeviceKey.Generate();
        await using var connection = await GatewayConnection.StartAsync(host.BaseUrl);
        var answers = new List<JsonElement>();
        for (var i = 0; i < 3; i++)
        {
            answers.Add(await ConnectAsync(connection, key, p => p with { Scopes = [OperatorScopes.Admin] }));
        }

        Assert.Equal([DetailCodes.SignatureInvalid, DetailCodes.SignatureInvalid, DetailCodes.AdmissionAttemptsExhausted],
            answers.Select(a => a.GetProperty("error").GetProperty("details").GetProperty("code").GetString()));
        Assert.Equal(AdmissionService.AttemptsExhaustedCloseReason, await connection.Closed.WaitAsync(Patience));
    }

    [Fact]
    public async Task The_admin_api_answers_409_request_resolved_when_the_request_was_already_approved()
    {
        var options = new GatewayClientOptions { GatewayUrl = host.BaseUrl, SharedToken = GatewayHarness.SharedToken, IdentityPath = LocalHostFixture.NewIdentityPath(), Scopes = Read };
        var pending = await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(options));
        using var admin = host.Admin();

        await admin.ApproveAsync(pending.RequestId);
        var again = await Assert.ThrowsAsync<GatewayAdminException>(() => admin.ApproveAsync(pending.RequestId));

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(DetailCodes.RequestResolved, again.DetailCode);
        await using var client = await GatewayClient.ConnectAsync(options);
    }

    private static async Task<JsonElement> ConnectAsync(GatewayConnection connection, DeviceKey key, Func<ConnectParams, ConnectParams>? tamper = null)
    {
        var challenge = await connection.ChallengeAsync();
        var parameters = ConnectRequest.Build(key, GatewayHarness.Client(), GatewayRoles.Operator, Read, challenge.Nonce,
            new ConnectAuth { Token = GatewayHarness.SharedToken }, DateTimeOffset.UtcNow);
        return await connection.RequestAsync(GatewayMethods.Connect, tamper is null ? parameters : tamper(parameters));
    }
}
