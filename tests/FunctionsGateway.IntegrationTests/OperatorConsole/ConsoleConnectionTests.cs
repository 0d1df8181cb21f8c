using System.Text.Json;
using System.Text.RegularExpressions;
using FunctionsGateway.Client;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;
using FunctionsGateway.SignalR.Serverless;
using static Microsoft.Playwright.Assertions;

namespace FunctionsGateway.IntegrationTests.OperatorConsole;

/// <summary>What the console's connection does after pairing: errors it shows, reconnects, the device token, events.</summary>
[Collection(LocalHostCollection.Name)]
public sealed class ConsoleConnectionTests(LocalHostFixture host, BrowserFixture browser) : IClassFixture<BrowserFixture>, IDisposable
{
    private readonly ErrorLogCheck errorLogs = host.CheckErrorLogs();

    [Fact]
    public async Task A_wrong_shared_token_is_shown_with_the_gateways_codes_and_the_form_comes_back()
    {
        await using var console = await browser.OpenConsoleAsync(host.BaseUrl);

        await console.SubmitAsync("not-the-shared-token-0123456789");

        await Expect(console.Page.GetByRole(Microsoft.Playwright.AriaRole.Alert)).ToContainTextAsync("INVALID_REQUEST / AUTH_UNAUTHORIZED", new() { Timeout = 30_000 });
        await Expect(console.State).ToHaveTextAsync("stopped");
        await Expect(console.Page.Locator("#setup")).ToBeVisibleAsync();
        await console.Page.ScreenshotAsync(new() { Path = BrowserFixture.Screenshot("console-error.png"), FullPage = true });
        console.AssertNoProblems();
    }

    [Fact]
    public async Task A_call_before_connecting_rejects_with_connection_closed_and_an_unhandled_failure_is_shown()
    {
        await using var console = await browser.OpenConsoleAsync(host.BaseUrl);
        await Expect(console.State).ToHaveTextAsync("not connected");

        var refused = await console.Page.EvaluateAsync<JsonElement>(
            "() => window.gatewayConsole.gateway.call('status').then(() => null, e => ({ code: e.code, detail: e.details.code }))");
        Assert.Equal("UNAVAILABLE", refused.GetProperty("code").GetString());
        Assert.Equal("CONNECTION_CLOSED", refused.GetProperty("detail").GetString());

        // A view that forgets to catch still does not fail silently.
        await console.Page.EvaluateAsync("() => { window.gatewayConsole.gateway.call('status'); }");
        await Expect(console.Page.GetByRole(Microsoft.Playwright.AriaRole.Alert)).ToContainTextAsync("UNAVAILABLE / CONNECTION_CLOSED: not connected");
    }

    [Fact]
    public async Task A_lost_connection_shows_reconnecting_and_comes_back_through_a_new_handshake()
    {
        await using var console = await browser.OpenConsoleAsync(host.BaseUrl);
        await console.PairAsync(host);
        var first = await ConnectionIdAsync(console);

        // The service drops the connection for a reason that allows a reconnect (§4.8: anything but the stop reasons).
        using var http = new HttpClient();
        var service = new SignalRRestClient(http, SignalRConnectionString.Parse(
            $"Endpoint=http://{host.BaseUrl.Host};Port={host.BaseUrl.Port};AccessKey={LocalHostFixture.AccessKey};Version=1.0;"));
        await service.CloseConnectionAsync(GatewayProtocol.Hub, first, "service restarting");

        await Expect(console.State).ToHaveTextAsync("reconnecting…", ConsolePage.Patient);
        await Expect(console.Page.Locator("#connection-detail")).ToContainTextAsync("service restarting");
        await console.Page.ScreenshotAsync(new() { Path = BrowserFixture.Screenshot("console-reconnecting.png"), FullPage = true });
        await Expect(console.State).ToHaveTextAsync("connected", ConsolePage.Patient);
        Assert.NotEqual(first, await ConnectionIdAsync(console));
        console.AssertNoProblems();
    }

    [Fact]
    public async Task A_reloaded_console_connects_with_its_stored_device_token_and_no_shared_token()
    {
        await using var console = await browser.OpenConsoleAsync(host.BaseUrl);
        var deviceId = await console.PairAsync(host);
        Assert.True(await console.Page.EvaluateAsync<bool>(
            "async () => !!(await (await import('/api/console/device.js')).storage.get('deviceToken'))?.token"));

        await console.Page.ReloadAsync();

        await Expect(console.State).ToHaveTextAsync("connected", ConsolePage.Patient);
        await Expect(console.Page.Locator("#device-id")).ToHaveTextAsync(deviceId);
        await Expect(console.Page.Locator("#setup")).ToBeHiddenAsync();
        console.AssertNoProblems();
    }

    [Fact]
    public async Task A_console_holding_operator_pairing_receives_device_pair_requested_through_gateway_on()
    {
        await using var console = await browser.OpenConsoleAsync(host.BaseUrl);
        await console.PairAsync(host, OperatorScopes.Read, OperatorScopes.Pairing);
        await console.Page.EvaluateAsync("() => { window.seen = []; window.gatewayConsole.gateway.on('device.pair.requested', p => window.seen.push(p.requestId)); }");

        var options = host.Options(LocalHostFixture.NewIdentityPath(), [OperatorScopes.Read]);
        var pending = await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(options));

        await console.Page.WaitForFunctionAsync("id => window.seen.includes(id)", pending.RequestId, new() { Timeout = 30_000 });
        console.AssertNoProblems();
    }

    [Fact]
    public async Task The_browser_signs_the_v3_payload_of_every_test_vector_byte_for_byte()
    {
        await using var console = await browser.OpenConsoleAsync(host.BaseUrl);
        var vectors = File.ReadAllText(Path.Combine(Tests.RepoPaths.Root, "tests", "vectors", "device-auth-v3.json"));

        // The seed is wrapped as PKCS#8 only to import it here; Ed25519 is deterministic, so the signature must match.
        var results = await console.Page.EvaluateAsync<JsonElement>("""
            async (json) => {
              const { authPayload, base64url } = await import("/api/console/device.js");
              const prefix = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
              const out = [];
              for (const v of JSON.parse(json).deviceAuthV3) {
                const payload = authPayload({ deviceId: v.deviceId, clientId: v.clientId, clientMode: v.clientMode, role: v.role,
                  scopes: v.scopes, signedAt: v.signedAtMs, token: v.token, nonce: v.nonce, platform: v.platform, deviceFamily: v.deviceFamily });
                const seed = v.seedHex.match(/../g).map((h) => parseInt(h, 16));
                const key = await crypto.subtle.importKey("pkcs8", new Uint8Array([...prefix, ...seed]), { name: "Ed25519" }, false, ["sign"]);
                const signature = base64url(await crypto.subtle.sign({ name: "Ed25519" }, key, new TextEncoder().encode(payload)));
                out.push({ name: v.name, payload: payload === v.payload, signature: signature === v.signature });
              }
              return out;
            }
            """, vectors);

        Assert.NotEmpty(results.EnumerateArray());
        Assert.All(results.EnumerateArray(), r =>
        {
            Assert.True(r.GetProperty("payload").GetBoolean(), "payload of " + r.GetProperty("name"));
            Assert.True(r.GetProperty("signature").GetBoolean(), "signature of " + r.GetProperty("name"));
        });
    }

    public void Dispose() => errorLogs.AssertNoUnexpectedErrors();

    private static Task<string> ConnectionIdAsync(ConsolePage console)
        => console.Page.EvaluateAsync<string>("() => window.gatewayConsole.gateway.hello.server.connectionId");
}
