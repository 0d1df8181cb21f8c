using System.Text.Json;
using System.Text.RegularExpressions;
using Deque.AxeCore.Playwright;
using FunctionsGateway.IntegrationTests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FunctionsGateway.IntegrationTests.OperatorConsole;

/// <summary>
/// The operator console in a real browser: the page is a device of its own (a WebCrypto Ed25519 key in IndexedDB)
/// that pairs through the same admission as every client, against the local host over real sockets.
/// </summary>
[Collection(LocalHostCollection.Name)]
public sealed class ConsolePairingTests(LocalHostFixture host, BrowserFixture browser) : IClassFixture<BrowserFixture>, IDisposable
{
    private readonly ErrorLogCheck errorLogs = host.CheckErrorLogs();

    [Fact]
    public async Task A_new_browser_pairs_with_the_shared_token_and_shows_connected_with_its_scopes_once_approved()
    {
        await using var console = await browser.OpenConsoleAsync(host.BaseUrl);
        var page = console.Page;
        await Expect(page.Locator("#connection-state")).ToHaveTextAsync("not connected");
        await Expect(page.Locator("#setup")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.Screenshot("console-first-run.png"), FullPage = true });

        await page.GetByLabel("Client name").FillAsync("console-e2e-" + Guid.NewGuid().ToString("N")[..8]);
        await page.GetByLabel("read (operator.read)").CheckAsync();
        await page.GetByLabel("pairing (operator.pairing)").CheckAsync();
        await page.GetByLabel("Shared gateway token").FillAsync(GatewayHarness.SharedToken);
        await page.GetByRole(AriaRole.Button, new() { Name = "Connect" }).ClickAsync();

        // Pending: the request id the gateway answered NOT_PAIRED with, shown for a human to approve.
        await Expect(page.Locator("#connection-state")).ToHaveTextAsync("waiting for approval", ConsolePage.Patient);
        await Expect(page.Locator("#request-id")).ToHaveTextAsync(new Regex("^[0-9a-f]{32}$"));
        await Expect(page.Locator("#connection-detail")).ToContainTextAsync("NOT_PAIRED / PAIRING_REQUIRED");
        var requestId = await page.Locator("#request-id").TextContentAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.Screenshot("console-pending.png"), FullPage = true });

        using var admin = host.Admin();
        var decision = await admin.ApproveAsync(requestId!);

        // The page polls by itself and is admitted with exactly the scopes it asked for.
        await Expect(page.Locator("#connection-state")).ToHaveTextAsync("connected", ConsolePage.Patient);
        var shown = (await page.Locator("#scopes").TextContentAsync())!.Split(", ");
        Assert.Equal(["operator.pairing", "operator.read"], shown.Order(StringComparer.Ordinal));
        await Expect(page.Locator("#device-id")).ToHaveTextAsync(decision.DeviceId);
        Assert.Equal(["operator.pairing", "operator.read"], decision.Scopes.Order(StringComparer.Ordinal));
        await page.ScreenshotAsync(new() { Path = BrowserFixture.Screenshot("console-connected.png"), FullPage = true });

        // A call through gateway.js answers with the gateway's payload: the connection's own device.
        var statusDevice = await page.EvaluateAsync<string>("async () => (await window.gatewayConsole.gateway.call('status')).connection.deviceId");
        Assert.Equal(decision.DeviceId, statusDevice);

        // A refusal rejects with the gateway's error as it came: code, details.code and message.
        var refused = await page.EvaluateAsync<JsonElement>(
            "() => window.gatewayConsole.gateway.call('audit.list').then(() => null, e => ({ name: e.name, code: e.code, detail: e.details.code, message: e.message }))");
        Assert.Equal("GatewayError", refused.GetProperty("name").GetString());
        Assert.Equal("INVALID_REQUEST", refused.GetProperty("code").GetString());
        Assert.Equal("MISSING_SCOPE", refused.GetProperty("detail").GetString());
        Assert.Equal("missing scope: operator.admin", refused.GetProperty("message").GetString());
        console.AssertNoProblems();
    }

    [Fact]
    public async Task The_private_key_in_indexeddb_is_not_extractable()
    {
        await using var console = await browser.OpenConsoleAsync(host.BaseUrl);
        await Expect(console.Page.Locator("#device-id")).ToHaveTextAsync(new Regex("^[0-9a-f]{64}$"));

        var key = await console.Page.EvaluateAsync<JsonElement>("""
            async () => {
              const db = await new Promise((resolve, reject) => {
                const open = indexedDB.open("functionsgateway-console");
                open.onsuccess = () => resolve(open.result);
                open.onerror = () => reject(open.error);
              });
              const pair = await new Promise((resolve, reject) => {
                const get = db.transaction("device").objectStore("device").get("keyPair");
                get.onsuccess = () => resolve(get.result);
                get.onerror = () => reject(get.error);
              });
              db.close();
              let exportRejected = false;
              try { await crypto.subtle.exportKey("pkcs8", pair.privateKey); } catch { exportRejected = true; }
              const raw = await crypto.subtle.exportKey("raw", pair.publicKey);
              const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
              return {
                algorithm: pair.privateKey.algorithm.name,
                extractable: pair.privateKey.extractable,
                exportRejected,
                deviceId: Array.from(hash, b => b.toString(16).padStart(2, "0")).join(""),
              };
            }
            """);

        Assert.Equal("Ed25519", key.GetProperty("algorithm").GetString());
        Assert.False(key.GetProperty("extractable").GetBoolean());
        Assert.True(key.GetProperty("exportRejected").GetBoolean(), "exportKey(pkcs8) of the private key must reject");
        Assert.Equal(await console.Page.Locator("#device-id").TextContentAsync(), key.GetProperty("deviceId").GetString());
        console.AssertNoProblems();
    }

    [Fact]
    public async Task The_first_run_form_and_the_connected_console_have_no_serious_or_critical_accessibility_violation()
    {
        await using var console = await browser.OpenConsoleAsync(host.BaseUrl);
        var page = console.Page;
        await Expect(page.Locator("#setup")).ToBeVisibleAsync();
        await AssertNoSeriousViolationsAsync(page, "the first-run form");

        await console.PairAsync(host);
        await AssertNoSeriousViolationsAsync(page, "the connected console");
        console.AssertNoProblems();
    }

    private static async Task AssertNoSeriousViolationsAsync(IPage page, string state)
    {
        var result = await page.RunAxe();

        var serious = result.Violations.Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}")
            .ToList();
        Assert.True(serious.Count == 0, $"axe found on {state}:\n" + string.Join('\n', serious));
    }

    public void Dispose() => errorLogs.AssertNoUnexpectedErrors();
}
