using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using FunctionsGateway.Client;
using FunctionsGateway.Core.Options;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.LocalHost;
using FunctionsGateway.Protocol;
using FunctionsGateway.SignalR.Serverless;

namespace FunctionsGateway.IntegrationTests.EndToEnd;

/// <summary>
/// The service forwards one call at a time per connection, but the gateway does not rely on it: calls that arrive
/// at once for one connection (several service instances, a misbehaving upstream) are capped, and past the cap they
/// are refused at once, without storage, so one connection's flood cannot hold up everyone else. Raw signed upstream
/// requests play the concurrent upstream.
/// </summary>
[Collection(LocalHostCollection.Name)]
public sealed class InFlightLimitTests(LocalHostFixture host) : IDisposable
{
    private static readonly HttpClient Http = new();
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>An Error/Critical line the local host logs during the test fails it unless the test declares it.</summary>
    private readonly ErrorLogCheck errorLogs = host.CheckErrorLogs();

    [Fact]
    public async Task A_connections_flood_past_its_in_flight_limit_is_refused_at_once_and_another_clients_status_still_answers()
    {
        var limit = new GatewayOptions().MaxInFlightPerConnection;
        await using var flooder = await PairedAsync(host.BaseUrl, [OperatorScopes.Write]);
        await using var bystander = await PairedAsync(host.BaseUrl, [OperatorScopes.Write]);
        var sessionKey = SessionKeys.Main("flood" + Guid.NewGuid().ToString("N")[..12]);
        var runId = (await flooder.InvokeAsync(GatewayMethods.Agent, new { sessionKey, task = "hold" })).GetProperty("runId").GetString()!;

        // The flooder's slots fill with long waits on a run that nothing finishes...
        var held = await FillWithWaitsAsync(host.BaseUrl, flooder.ConnectionId, limit, runId);

        // ...so every further call of its flood is refused while they are still waiting,
        var flood = await Task.WhenAll(Enumerable.Range(0, 300).Select(_ => UpstreamCallAsync(host.BaseUrl, flooder.ConnectionId, GatewayMethods.Status)));
        Assert.All(flood, AssertTooManyInFlight);
        Assert.DoesNotContain(held, h => h.IsCompleted);

        // and another client's status is answered in the middle of it.
        var status = await bystander.InvokeAsync(GatewayMethods.Status);
        Assert.Equal(bystander.DeviceId, status.GetProperty("connection").GetProperty("deviceId").GetString());
        Assert.DoesNotContain(held, h => h.IsCompleted);

        // Once the run ends the held calls answer, and the connection's slots are free again.
        await bystander.InvokeAsync(GatewayMethods.ChatAbort, new { sessionKey, runId });
        foreach (var answer in await Task.WhenAll(held).WaitAsync(Patience))
        {
            Assert.True(answer.GetProperty("ok").GetBoolean(), answer.GetRawText());
        }

        Assert.True((await UpstreamCallAsync(host.BaseUrl, flooder.ConnectionId, GatewayMethods.Status)).GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task A_call_past_the_limit_is_refused_without_touching_storage()
    {
        const int Limit = 2;
        const int Extra = 20;
        await using var storage = await PrivateAzurite.StartAsync();
        var port = LocalHostFixture.FreePort();
        var baseUrl = new Uri($"http://127.0.0.1:{port}");
        await using var app = LocalGatewayApp.Build(["--urls", baseUrl.ToString().TrimEnd('/')], new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = storage.ConnectionString,
            ["Gateway:SharedToken"] = GatewayHarness.SharedToken,
            ["Gateway:AdminKey"] = LocalHostFixture.AdminKey,
            ["Gateway:LocalSignalRAccessKey"] = LocalHostFixture.AccessKey,
            [SettingNames.ConfigKey(SettingNames.MaxInFlightPerConnection)] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "None",
        });
        await app.StartAsync();
        await using var client = await PairedAsync(baseUrl, [OperatorScopes.Read]);

        storage.Pause();
        try
        {
            // With storage frozen, a call that reads it cannot answer: the ones that do answer never went near it.
            var calls = Enumerable.Range(0, Limit + Extra).Select(_ => UpstreamCallAsync(baseUrl, client.ConnectionId, GatewayMethods.Status)).ToList();
            var answered = new List<JsonElement>();
            using var deadline = new CancellationTokenSource(Patience);
            while (answered.Count < Extra)
            {
                var next = Task.WhenAny(calls);
                if (await Task.WhenAny(next, Task.Delay(Timeout.Infinite, deadline.Token)) != next)
                {
                    Assert.Fail($"only {answered.Count} of {Limit + Extra} calls answered while storage was frozen: {string.Join(", ", answered.Select(a => a.GetRawText()))}");
                }

                var done = await next;
                answered.Add(await done);
                calls.Remove(done);
            }

            Assert.All(answered, AssertTooManyInFlight);
            Assert.Equal(Limit, calls.Count(c => !c.IsCompleted));
            storage.Resume();
            foreach (var late in await Task.WhenAll(calls).WaitAsync(Patience))
            {
                Assert.NotEqual(DetailCodes.TooManyInFlight, DetailCode(late));
            }
        }
        finally
        {
            storage.Resume();
            await app.StopAsync();
        }
    }

    private static void AssertTooManyInFlight(JsonElement response)
    {
        Assert.False(response.GetProperty("ok").GetBoolean());
        Assert.Equal(ErrorCodes.Unavailable, response.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(DetailCodes.TooManyInFlight, DetailCode(response));
    }

    private static string? DetailCode(JsonElement response)
        => response.TryGetProperty("error", out var e) && e.TryGetProperty("details", out var d) && d.TryGetProperty("code", out var c) ? c.GetString() : null;

    /// <summary>
    /// Starts <paramref name="limit"/> long waits, then probes with health checks until one is refused while every wait
    /// is still pending: at that moment the waits held every slot. A wait that lost its slot to a probe is started again.
    /// </summary>
    private static async Task<List<Task<JsonElement>>> FillWithWaitsAsync(Uri baseUrl, string connectionId, int limit, string runId)
    {
        Task<JsonElement> Wait() => UpstreamCallAsync(baseUrl, connectionId, GatewayMethods.AgentWait, new { runId, timeoutMs = 30_000 });
        var held = Enumerable.Range(0, limit).Select(_ => Wait()).ToList();
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            for (var i = 0; i < held.Count; i++)
            {
                if (held[i].IsCompleted)
                {
                    AssertTooManyInFlight(await held[i]);
                    held[i] = Wait();
                }
            }

            var probe = await UpstreamCallAsync(baseUrl, connectionId, GatewayMethods.Health);
            if (DetailCode(probe) == DetailCodes.TooManyInFlight && held.All(h => !h.IsCompleted))
            {
                return held;
            }
        }

        Assert.Fail("the connection never reached its in-flight limit");
        return held;
    }

    /// <summary>One blocking <c>req</c> invocation posted as the service posts it, signed; returns the completion's result.</summary>
    private static async Task<JsonElement> UpstreamCallAsync(Uri baseUrl, string connectionId, string method, object? parameters = null)
    {
        var invocation = JsonSerializer.SerializeToUtf8Bytes(new
        {
            type = 1,
            invocationId = Guid.NewGuid().ToString("N"),
            target = GatewayProtocol.RequestTarget,
            arguments = new object[] { parameters is null ? new { method } : new { method, @params = parameters } },
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl, "api/signalr/upstream")) { Content = new ByteArrayContent(invocation) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add(UpstreamHeaders.ConnectionIdHeader, connectionId);
        request.Headers.Add(UpstreamHeaders.HubHeader, GatewayProtocol.Hub);
        request.Headers.Add(UpstreamHeaders.CategoryHeader, "messages");
        request.Headers.Add(UpstreamHeaders.EventHeader, GatewayProtocol.RequestTarget);
        request.Headers.Add(UpstreamHeaders.SignatureHeader, UpstreamSignature.Compute(LocalHostFixture.AccessKey, connectionId));
        using var response = await Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadAsByteArrayAsync();
        using var completion = JsonDocument.Parse(body.AsMemory(0, body.Length - 1));
        return completion.RootElement.GetProperty("result").Clone();
    }

    private static async Task<GatewayClient> PairedAsync(Uri baseUrl, string[] scopes)
    {
        var options = new GatewayClientOptions
        {
            GatewayUrl = baseUrl,
            SharedToken = GatewayHarness.SharedToken,
            IdentityPath = LocalHostFixture.NewIdentityPath(),
            Scopes = scopes,
        };
        var pending = await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(options));
        using (var admin = new GatewayAdminClient(baseUrl, LocalHostFixture.AdminKey))
        {
            await admin.ApproveAsync(pending.RequestId);
        }

        return await GatewayClient.ConnectAsync(options);
    }

    public void Dispose() => errorLogs.AssertNoUnexpectedErrors();
}
