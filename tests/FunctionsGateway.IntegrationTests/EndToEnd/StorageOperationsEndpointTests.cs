using System.Net;
using System.Text.Json;
using FunctionsGateway.Client;
using FunctionsGateway.Core.Options;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.LocalHost;
using FunctionsGateway.Protocol;
using Microsoft.AspNetCore.Builder;

namespace FunctionsGateway.IntegrationTests.EndToEnd;

/// <summary>
/// With <c>LocalHost:CountStorage</c> the local host answers its storage operations so far, which the load tool reads
/// around its measured window; without it the route does not exist.
/// </summary>
public sealed class StorageOperationsEndpointTests
{
    private const string AdminKey = "count-admin-key-0123456789";
    private static readonly HttpClient Http = new();

    [Fact]
    public async Task A_read_call_raises_the_table_count_by_exactly_its_one_connection_read()
    {
        await using var app = await StartAsync(count: true);
        var baseUrl = new Uri(app.Urls.First());
        await using var client = await PairedAsync(baseUrl);
        await client.InvokeAsync(GatewayMethods.Status); // settles anything the connect left running

        var before = await CountAsync(baseUrl);
        await client.InvokeAsync(GatewayMethods.Status);
        var after = await CountAsync(baseUrl);

        Assert.Equal(before.Tables + 1, after.Tables);
    }

    [Fact]
    public async Task Without_the_setting_the_route_is_not_there()
    {
        await using var app = await StartAsync(count: false);
        using var response = await Http.GetAsync(new Uri(new Uri(app.Urls.First()), LocalGatewayApp.StorageOperationsRoute));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static async Task<WebApplication> StartAsync(bool count)
    {
        var app = LocalGatewayApp.Build(["--urls", $"http://127.0.0.1:{LocalHostFixture.FreePort()}"], new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = Azurite.ConnectionString,
            ["Gateway:SharedToken"] = GatewayHarness.SharedToken,
            ["Gateway:AdminKey"] = AdminKey,
            ["Gateway:Pairing:MaxPending"] = "2000",
            ["Gateway:Pairing:MaxRequestedEventsPerMinute"] = "10000",
            [LocalGatewayApp.CountStorageSetting] = count ? "true" : "false",

            // Once a year: no sweep lands between the two readings.
            [SettingNames.SweepSchedule] = "0 0 0 1 1 *",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        await app.StartAsync();
        return app;
    }

    private static async Task<(long Tables, long Queues)> CountAsync(Uri baseUrl)
    {
        using var body = JsonDocument.Parse(await Http.GetStringAsync(new Uri(baseUrl, LocalGatewayApp.StorageOperationsRoute)));
        return (body.RootElement.GetProperty("tables").GetInt64(), body.RootElement.GetProperty("queues").GetInt64());
    }

    private static async Task<GatewayClient> PairedAsync(Uri baseUrl)
    {
        var options = new GatewayClientOptions
        {
            GatewayUrl = baseUrl,
            SharedToken = GatewayHarness.SharedToken,
            IdentityPath = LocalHostFixture.NewIdentityPath(),
            Scopes = [OperatorScopes.Read],
        };
        var pending = await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(options));
        using (var admin = new GatewayAdminClient(baseUrl, AdminKey))
        {
            await admin.ApproveAsync(pending.RequestId);
        }

        return await GatewayClient.ConnectAsync(options);
    }
}
