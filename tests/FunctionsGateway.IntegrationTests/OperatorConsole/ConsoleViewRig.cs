using System.Text.RegularExpressions;
using Deque.AxeCore.Playwright;
using FunctionsGateway.Client;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FunctionsGateway.IntegrationTests.OperatorConsole;

/// <summary>What the console view tests share: .NET devices paired beside the browser, waiting for a view, axe.</summary>
internal static class ConsoleViewRig
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static LocatorAssertionsToBeVisibleOptions Visible { get; } = new() { Timeout = 30_000 };

    public static LocatorAssertionsToHaveCountOptions Count { get; } = new() { Timeout = 30_000 };

    /// <summary>Waits until a view (<c>#pending</c>, <c>#devices</c>, <c>#sessions</c>, <c>#audit</c>) has loaded its data.</summary>
    public static Task LoadedAsync(IPage page, string view) =>
        Expect(page.Locator(view)).ToHaveAttributeAsync("data-loaded", new Regex("^[0-9]+$"), new() { Timeout = 30_000 });

    /// <summary>A .NET client's first connect: refused NOT_PAIRED with the request a human must decide.</summary>
    public static async Task<(GatewayClientOptions Options, PairingRequiredException Pending)> AskAsync(LocalHostFixture host, string[] scopes, string role = GatewayRoles.Operator)
    {
        var options = host.Options(LocalHostFixture.NewIdentityPath(), scopes, role: role);
        options.ClientId = "dotnet-e2e-" + Guid.NewGuid().ToString("N")[..8];
        var pending = await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(options));
        return (options, pending);
    }

    /// <summary>A .NET client paired through the admin API and connected.</summary>
    public static async Task<(GatewayClient Client, GatewayClientOptions Options)> PairedClientAsync(LocalHostFixture host, string[] scopes, string role = GatewayRoles.Operator)
    {
        var (options, pending) = await AskAsync(host, scopes, role);
        using (var admin = host.Admin())
        {
            await admin.ApproveAsync(pending.RequestId);
        }

        return (await GatewayClient.ConnectAsync(options), options);
    }

    public static async Task AssertNoSeriousViolationsAsync(IPage page, string state)
    {
        var result = await page.RunAxe();
        var serious = result.Violations.Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}")
            .ToList();
        Assert.True(serious.Count == 0, $"axe found on {state}:\n" + string.Join('\n', serious));
    }

    /// <summary>A screenshot of one view (its section), not the whole page of four.</summary>
    public static Task ScreenshotAsync(IPage page, string view, string name) =>
        page.Locator(view).ScreenshotAsync(new() { Path = BrowserFixture.Screenshot(name) });
}
