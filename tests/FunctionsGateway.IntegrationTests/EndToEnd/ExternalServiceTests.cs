using FunctionsGateway.Client;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.LocalHost;
using FunctionsGateway.Protocol;
using Microsoft.AspNetCore.Builder;

namespace FunctionsGateway.IntegrationTests.EndToEnd;

/// <summary>
/// With <c>AzureSignalRConnectionString</c> naming another service, the app serves no endpoint of its own and works
/// unchanged through that service: here a second process-alike acting as the service, upstream pointed at the app.
/// Runs in the local-host collection: every host pumps the shared close queue, so hosts must not overlap with a test
/// that waits for its own close. The two hosts it starts log into the fixture's capture, checked like the fixture's own.
/// </summary>
[Collection(LocalHostCollection.Name)]
public sealed class ExternalServiceTests(LocalHostFixture host) : IDisposable
{
    /// <summary>An Error/Critical line the local host or this test's hosts log during the test fails it unless the test declares it.</summary>
    private readonly ErrorLogCheck errorLogs = host.CheckErrorLogs();

    [Fact]
    public async Task The_app_works_through_a_separate_signalr_service_named_by_its_connection_string()
    {
        const string key = "external-service-access-key-0123456789";
        var servicePort = LocalHostFixture.FreePort();
        var appPort = LocalHostFixture.FreePort();
        var common = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = Azurite.ConnectionString,
            ["Gateway:SharedToken"] = GatewayHarness.SharedToken,
            ["Gateway:AdminKey"] = LocalHostFixture.AdminKey,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        await using var service = LocalGatewayApp.Build(["--urls", $"http://127.0.0.1:{servicePort}"], new Dictionary<string, string?>(common)
        {
            ["Gateway:LocalSignalRAccessKey"] = key,
            ["LocalHost:UpstreamUrl"] = $"http://127.0.0.1:{appPort}/api/signalr/upstream",
        });
        await using var app = LocalGatewayApp.Build(["--urls", $"http://127.0.0.1:{appPort}"], new Dictionary<string, string?>(common)
        {
            ["AzureSignalRConnectionString"] = $"Endpoint=http://127.0.0.1;Port={servicePort};AccessKey={key};Version=1.0;",
        });
        host.CaptureLogsOf(service, "service");
        host.CaptureLogsOf(app, "app");
        await service.StartAsync();
        await app.StartAsync();

        var appUrl = new Uri($"http://127.0.0.1:{appPort}");
        var options = new GatewayClientOptions { GatewayUrl = appUrl, SharedToken = GatewayHarness.SharedToken, IdentityPath = LocalHostFixture.NewIdentityPath(), Scopes = [OperatorScopes.Read] };
        var pending = await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(options));
        using (var admin = new GatewayAdminClient(appUrl, LocalHostFixture.AdminKey))
        {
            await admin.ApproveAsync(pending.RequestId);
        }

        await using var client = await GatewayClient.ConnectAsync(options);
        Assert.True((await client.InvokeAsync(GatewayMethods.Status)).TryGetProperty("connection", out _));

        // The app has no client endpoint of its own; negotiate sent the client to the service.
        using var http = new HttpClient();
        using var direct = await http.PostAsync(new Uri(appUrl, "client/negotiate?hub=gateway"), null);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, direct.StatusCode);
        await app.StopAsync();
        await service.StopAsync();
    }

    public void Dispose() => errorLogs.AssertNoUnexpectedErrors();
}
