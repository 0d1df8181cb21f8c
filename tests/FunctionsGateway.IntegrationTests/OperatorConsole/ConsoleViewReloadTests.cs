using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;
using FunctionsGateway.SignalR.Serverless;
using static FunctionsGateway.IntegrationTests.OperatorConsole.ConsoleViewRig;
using static Microsoft.Playwright.Assertions;

namespace FunctionsGateway.IntegrationTests.OperatorConsole;

/// <summary>After a lost connection the views load their data again and follow the new connection's events.</summary>
[Collection(LocalHostCollection.Name)]
public sealed class ConsoleViewReloadTests(LocalHostFixture host, BrowserFixture browser) : IClassFixture<BrowserFixture>, IDisposable
{
    private static readonly string[] Views = ["#pending", "#devices", "#sessions", "#audit"];

    private readonly ErrorLogCheck errorLogs = host.CheckErrorLogs();

    [Fact]
    public async Task Every_view_loads_again_once_the_console_has_reconnected_and_then_follows_events_again()
    {
        await using var console = await browser.OpenConsoleAsync(host.BaseUrl);
        var page = console.Page;
        await console.PairAsync(host, OperatorScopes.Admin);
        var before = new Dictionary<string, long>();
        foreach (var view in Views)
        {
            await LoadedAsync(page, view);
            before[view] = long.Parse((await page.Locator(view).GetAttributeAsync("data-loaded"))!, System.Globalization.CultureInfo.InvariantCulture);
        }

        using var http = new HttpClient();
        var service = new SignalRRestClient(http, SignalRConnectionString.Parse(
            $"Endpoint=http://{host.BaseUrl.Host};Port={host.BaseUrl.Port};AccessKey={LocalHostFixture.AccessKey};Version=1.0;"));
        var connectionId = await page.EvaluateAsync<string>("() => window.gatewayConsole.gateway.hello.server.connectionId");
        await service.CloseConnectionAsync(GatewayProtocol.Hub, connectionId, "service restarting");

        await Expect(console.State).ToHaveTextAsync("reconnecting…", ConsolePage.Patient);
        await Expect(page.Locator("#pending .view-status")).ToContainTextAsync("Not connected");
        await Expect(console.State).ToHaveTextAsync("connected", ConsolePage.Patient);
        foreach (var view in Views)
        {
            await page.WaitForFunctionAsync("([view, was]) => Number(document.querySelector(view).dataset.loaded) > was",
                new object[] { view, before[view] }, new() { Timeout = 30_000 });
        }

        var (_, pending) = await AskAsync(host, [OperatorScopes.Read]);
        await Expect(page.Locator($"#pending-list li[data-request-id='{pending.RequestId}']")).ToBeVisibleAsync(Visible);
        await Expect(page.Locator($"#audit-table tr[data-request-id='{pending.RequestId}'][data-action='pairing.requested']")).ToBeVisibleAsync(Visible);
        using (var admin = host.Admin())
        {
            await admin.RejectAsync(pending.RequestId);
        }

        console.AssertNoProblems();
    }

    public void Dispose() => errorLogs.AssertNoUnexpectedErrors();
}
