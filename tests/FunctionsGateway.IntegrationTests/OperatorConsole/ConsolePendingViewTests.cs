using System.Text.Json;
using FunctionsGateway.Client;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;
using Microsoft.Playwright;
using static FunctionsGateway.IntegrationTests.OperatorConsole.ConsoleViewRig;
using static Microsoft.Playwright.Assertions;

namespace FunctionsGateway.IntegrationTests.OperatorConsole;

/// <summary>The Pending requests view: requests arrive live, approvals go through, and a missing scope stops Approve.</summary>
[Collection(LocalHostCollection.Name)]
public sealed class ConsolePendingViewTests(LocalHostFixture host, BrowserFixture browser) : IClassFixture<BrowserFixture>, IDisposable
{
    private readonly ErrorLogCheck errorLogs = host.CheckErrorLogs();

    [Fact]
    public async Task A_dotnet_device_asking_to_pair_appears_without_a_reload_and_approving_it_lets_it_connect_and_audits_it()
    {
        await using var console = await browser.OpenConsoleAsync(host.BaseUrl);
        var page = console.Page;
        await console.PairAsync(host, OperatorScopes.Admin);
        await LoadedAsync(page, "#pending");
        await LoadedAsync(page, "#audit");

        var (options, pending) = await AskAsync(host, [OperatorScopes.Read]);

        var card = page.Locator($"#pending-list li[data-request-id='{pending.RequestId}']");
        await Expect(card).ToBeVisibleAsync(Visible);
        await Expect(card).ToContainTextAsync(options.ClientId);
        await Expect(card.Locator(".requested")).ToHaveTextAsync(OperatorScopes.Read);
        await Expect(card.Locator(".countdown")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[1-5] min [0-5][0-9] s$"));
        await AssertNoSeriousViolationsAsync(page, "the pending view with a request");
        await ScreenshotAsync(page, "#pending", "console-pending-request.png");

        await card.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();

        await Expect(card).ToHaveCountAsync(0, Count);
        await using var client = await GatewayClient.ConnectAsync(options);
        var audited = page.Locator($"#audit-table tr[data-request-id='{pending.RequestId}'][data-action='pairing.approved']");
        await Expect(audited).ToBeVisibleAsync(Visible);
        await Expect(audited).ToContainTextAsync("device:");
        await ScreenshotAsync(page, "#audit", "console-audit.png");
        console.AssertNoProblems();
    }

    [Fact]
    public async Task A_scope_upgrade_shows_its_diff_and_a_pairing_only_console_cannot_approve_it_even_by_forcing_the_call()
    {
        var (client, options) = await PairedClientAsync(host, [OperatorScopes.Read]);
        await client.DisposeAsync();
        await using var console = await browser.OpenConsoleAsync(host.BaseUrl);
        var page = console.Page;
        await console.PairAsync(host, OperatorScopes.Read, OperatorScopes.Pairing);
        await LoadedAsync(page, "#pending");
        await Expect(page.Locator("#audit .view-status")).ToContainTextAsync("needs operator.admin");

        options.Scopes = [OperatorScopes.Read, OperatorScopes.Admin];
        var pending = await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(options));
        Assert.Equal("scope-upgrade", pending.Reason);

        var card = page.Locator($"#pending-list li[data-request-id='{pending.RequestId}']");
        await Expect(card).ToBeVisibleAsync(Visible);
        await Expect(card.Locator(".diff")).ToHaveTextAsync("+ " + OperatorScopes.Admin);
        await Expect(card.Locator(".approved")).ToHaveTextAsync(OperatorScopes.Read);
        var approve = card.GetByRole(AriaRole.Button, new() { Name = "Approve" });
        await Expect(approve).ToBeDisabledAsync();
        await Expect(approve).ToHaveAccessibleDescriptionAsync("Approving grants operator.admin, which this browser does not hold.");
        await Expect(card.GetByRole(AriaRole.Button, new() { Name = "Reject" })).ToBeEnabledAsync();
        await AssertNoSeriousViolationsAsync(page, "the pending view with an upgrade it cannot approve");
        await ScreenshotAsync(page, "#pending", "console-upgrade-diff.png");

        var refused = await page.EvaluateAsync<JsonElement>(
            "id => window.gatewayConsole.gateway.call('device.pair.approve', { requestId: id }).then(() => null, e => ({ code: e.code, detail: e.details.code, scope: e.details.scope }))",
            pending.RequestId);
        Assert.Equal(JsonValueKind.Object, refused.ValueKind);
        Assert.Equal(("INVALID_REQUEST", "MISSING_SCOPE", OperatorScopes.Admin),
            (refused.GetProperty("code").GetString(), refused.GetProperty("detail").GetString(), refused.GetProperty("scope").GetString()));

        // The button forced on in the page: the gateway's refusal is shown with its codes.
        await approve.EvaluateAsync("button => { button.disabled = false; }");
        await approve.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("INVALID_REQUEST / MISSING_SCOPE: missing scope: operator.admin");
        await Expect(approve).ToBeDisabledAsync();

        // Still pending: the card stays, and the device asking again gets the same live request.
        await Expect(card).ToBeVisibleAsync();
        var again = await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(options));
        Assert.Equal(pending.RequestId, again.RequestId);

        // An operator holding admin can still decide it; rejecting leaves nothing pending behind this test.
        using var admin = host.Admin();
        await admin.RejectAsync(pending.RequestId);
        await Expect(card).ToHaveCountAsync(0, Count);
        console.AssertNoProblems();
    }

    public void Dispose() => errorLogs.AssertNoUnexpectedErrors();
}
