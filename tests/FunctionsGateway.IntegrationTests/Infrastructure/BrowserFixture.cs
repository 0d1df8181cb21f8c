using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FunctionsGateway.IntegrationTests.Infrastructure;

/// <summary>
/// Debian's Chromium, headless, launched once per console test class through Playwright (a class fixture beside the
/// shared <see cref="LocalHostFixture"/>: a second local host would pump the shared Azurite's queues too, and take
/// other tests' spawn messages). Playwright's driver (and
/// the Node.js it runs on) ship inside the NuGet package and are copied to the test output, so nothing is downloaded:
/// the browser is the system one at <see cref="ChromiumPath"/>, never Playwright's own build. A machine without it
/// fails every console test with <see cref="MissingChromiumMessage"/> instead of skipping them.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public const string MissingChromiumMessage =
        ChromiumPath + " is missing: the operator console's browser tests drive Debian's Chromium (apt-get install -y chromium; .ci/run installs it when missing)";

    private IPlaywright? playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where screenshots go: <c>artifacts/</c> at the repository root (git-ignored).</summary>
    public static string ArtifactsDirectory { get; } = Path.Combine(Tests.RepoPaths.Root, "artifacts");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(MissingChromiumMessage);
        }

        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox"],
        });
        Directory.CreateDirectory(ArtifactsDirectory);
    }

    /// <summary>A fresh profile (its own IndexedDB) per browser "device", with page errors and CSP violations recorded.</summary>
    public async Task<ConsolePage> OpenConsoleAsync(Uri baseUrl)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 900 } });
        var page = await context.NewPageAsync();
        var console = new ConsolePage(context, page);
        await page.GotoAsync(new Uri(baseUrl, "/api/console").ToString());
        return console;
    }

    public static string Screenshot(string name) => Path.Combine(ArtifactsDirectory, name);

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        playwright?.Dispose();
    }
}

/// <summary>One browser profile with the console open; problems the page reported are in <see cref="Problems"/>.</summary>
public sealed class ConsolePage : IAsyncDisposable
{
    private readonly List<string> problems = [];

    public ConsolePage(IBrowserContext context, IPage page)
    {
        Context = context;
        Page = page;
        page.PageError += (_, error) => Record("page error: " + error);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                Record($"console error: {message.Text} ({message.Location})");
            }
        };
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    /// <summary>Uncaught errors and console errors (a CSP violation is reported as one).</summary>
    public IReadOnlyList<string> Problems
    {
        get
        {
            lock (problems)
            {
                return [.. problems];
            }
        }
    }

    /// <summary>Generous: a pending console polls every 2 s, and a shared machine may be slow.</summary>
    public static LocatorAssertionsToHaveTextOptions Patient { get; } = new() { Timeout = 30_000 };

    public ILocator State => Page.Locator("#connection-state");

    /// <summary>Fills the first-run form (the default scopes unless <paramref name="scopes"/> names others) and submits it.</summary>
    public async Task SubmitAsync(string sharedToken, params string[] scopes)
    {
        await Page.GetByLabel("Client name").FillAsync("console-e2e-" + Guid.NewGuid().ToString("N")[..8]);
        if (scopes.Length > 0)
        {
            foreach (var box in await Page.Locator("input[name=scopes]").AllAsync())
            {
                var value = await box.GetAttributeAsync("value");
                await box.SetCheckedAsync(Array.IndexOf(scopes, value) >= 0);
            }
        }

        await Page.GetByLabel("Shared gateway token").FillAsync(sharedToken);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Connect" }).ClickAsync();
    }

    /// <summary>Submits the form, approves the pending request through the admin API and waits for "connected".</summary>
    public async Task<string> PairAsync(LocalHostFixture host, params string[] scopes)
    {
        await SubmitAsync(GatewayHarness.SharedToken, scopes);
        await Expect(Page.Locator("#request-id")).ToHaveTextAsync(new Regex("^[0-9a-f]{32}$"), Patient);
        using var admin = host.Admin();
        var decision = await admin.ApproveAsync((await Page.Locator("#request-id").TextContentAsync())!);
        await Expect(State).ToHaveTextAsync("connected", Patient);
        return decision.DeviceId;
    }

    public void AssertNoProblems()
    {
        var found = Problems;
        Assert.True(found.Count == 0, "the page reported:\n" + string.Join('\n', found));
    }

    private void Record(string problem)
    {
        lock (problems)
        {
            problems.Add(problem);
        }
    }

    public async ValueTask DisposeAsync() => await Context.DisposeAsync();
}
