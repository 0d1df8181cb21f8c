using FunctionsGateway.Client;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;
using Microsoft.Playwright;
using static FunctionsGateway.IntegrationTests.OperatorConsole.ConsoleViewRig;
using static Microsoft.Playwright.Assertions;

namespace FunctionsGateway.IntegrationTests.OperatorConsole;

/// <summary>The Devices and Audit views: live device changes, revoke and remove, and the audit filters.</summary>
[Collection(LocalHostCollection.Name)]
public sealed class ConsoleDevicesViewTests(LocalHostFixture host, BrowserFixture browser) : IClassFixture<BrowserFixture>, IDisposable
{
    private readonly ErrorLogCheck errorLogs = host.CheckErrorLogs();

    [Fact]
    public async Task A_device_paired_meanwhile_appears_live_and_revoking_its_token_then_removing_it_after_confirming_updates_the_view()
    {
        await using var console = await browser.OpenConsoleAsync(host.BaseUrl);
        var page = console.Page;
        await console.PairAsync(host, OperatorScopes.Admin);
        await LoadedAsync(page, "#devices");

        await using var client = (await PairedClientAsync(host, [OperatorScopes.Read])).Client;
        var row = page.Locator($"#devices-table tr[data-device-id='{client.DeviceId}']");
        await Expect(row).ToBeVisibleAsync(Visible);
        await Expect(row.Locator(".scopes")).ToHaveTextAsync(OperatorScopes.Read);
        await Expect(row.Locator(".roles")).ToHaveTextAsync(GatewayRoles.Operator);
        await AssertNoSeriousViolationsAsync(page, "the devices view");
        await ScreenshotAsync(page, "#devices", "console-devices.png");

        // Revoke: the gateway closes the device's connection, and device.changed marks the token revoked.
        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke the operator token" }).ClickAsync();
        Assert.Equal(CloseReasons.DeviceTokenRevoked, await client.Closed.WaitAsync(Patience));
        await Expect(row.Locator(".tokens li[data-role='operator']")).ToHaveAttributeAsync("data-state", "revoked", new() { Timeout = 30_000 });
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = "Revoke the operator token" })).ToBeHiddenAsync();

        // Remove asks first, with a confirm button that takes the focus and works from the keyboard.
        await row.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Remove ") }).ClickAsync();
        var confirm = row.GetByRole(AriaRole.Button, new() { Name = "Confirm remove" });
        await Expect(confirm).ToBeFocusedAsync();
        await row.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).PressAsync("Enter");
        await Expect(confirm).ToBeHiddenAsync();
        await Expect(row).ToBeVisibleAsync();

        await row.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Remove ") }).ClickAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(row).ToHaveCountAsync(0, Count);
        await Expect(page.Locator("#devices-table")).ToBeFocusedAsync();
        console.AssertNoProblems();
    }

    [Fact]
    public async Task The_audit_view_filters_by_device_and_by_action_without_a_reload()
    {
        await using var console = await browser.OpenConsoleAsync(host.BaseUrl);
        var page = console.Page;
        await console.PairAsync(host, OperatorScopes.Admin);
        await LoadedAsync(page, "#audit");

        var (approvedOptions, approved) = await AskAsync(host, [OperatorScopes.Read]);
        var (rejectedOptions, rejected) = await AskAsync(host, [OperatorScopes.Read]);
        var approvedDevice = DeviceIdOf(approvedOptions);
        var rejectedDevice = DeviceIdOf(rejectedOptions);
        using (var admin = host.Admin())
        {
            await admin.ApproveAsync(approved.RequestId);
            await admin.RejectAsync(rejected.RequestId);
        }

        var audit = page.Locator("#audit");
        var rows = page.Locator("#audit-table tbody tr");
        await Expect(page.Locator($"#audit-table tr[data-request-id='{rejected.RequestId}'][data-action='pairing.rejected']")).ToBeVisibleAsync(Visible);

        await audit.GetByLabel("Device id").FillAsync(approvedDevice);
        await audit.GetByRole(AriaRole.Button, new() { Name = "Apply filter" }).ClickAsync();
        await Expect(page.Locator($"#audit-table tr[data-device-id='{rejectedDevice}']")).ToHaveCountAsync(0);
        await Expect(page.Locator($"#audit-table tr[data-request-id='{approved.RequestId}'][data-action='pairing.approved']")).ToBeVisibleAsync();
        await Expect(rows).ToHaveCountAsync(await page.Locator($"#audit-table tbody tr[data-device-id='{approvedDevice}']").CountAsync());
        await Expect(page.Locator("#audit-summary")).ToContainTextAsync("for device " + approvedDevice[..12]);

        // The action filter queries again at once: this device has no rejection.
        await audit.GetByLabel("Action").SelectOptionAsync("pairing.rejected");
        await Expect(page.Locator("#audit-summary")).ToHaveTextAsync($"0 entries for device {approvedDevice[..12]}…, action pairing.rejected.");
        await Expect(rows).ToHaveCountAsync(0);

        await audit.GetByLabel("Device id").FillAsync(rejectedDevice);
        await audit.GetByLabel("Device id").PressAsync("Enter");
        var only = page.Locator($"#audit-table tr[data-request-id='{rejected.RequestId}'][data-action='pairing.rejected']");
        await Expect(only).ToBeVisibleAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await AssertNoSeriousViolationsAsync(page, "the audit view, filtered");
        await ScreenshotAsync(page, "#audit", "console-audit-filtered.png");

        await audit.GetByRole(AriaRole.Button, new() { Name = "Clear filter" }).ClickAsync();
        await Expect(page.Locator($"#audit-table tr[data-request-id='{approved.RequestId}'][data-action='pairing.approved']")).ToHaveCountAsync(1);
        await Expect(audit.GetByLabel("Action")).ToHaveValueAsync("");

        // A device id the gateway refuses is shown with its codes.
        await audit.GetByLabel("Device id").FillAsync("not-a-device-id");
        await audit.GetByLabel("Device id").PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("INVALID_REQUEST / INVALID_PARAMS");
        console.AssertNoProblems();
    }

    private static string DeviceIdOf(GatewayClientOptions options)
    {
        using var identity = DeviceIdentityStore.Load(options.IdentityPath!);
        return identity.DeviceId;
    }

    public void Dispose() => errorLogs.AssertNoUnexpectedErrors();
}
