using FunctionsGateway.Client;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;
using Microsoft.Playwright;
using static FunctionsGateway.IntegrationTests.OperatorConsole.ConsoleViewRig;
using static Microsoft.Playwright.Assertions;

namespace FunctionsGateway.IntegrationTests.OperatorConsole;

/// <summary>The Sessions view: a spawn from the console, run by an echo worker, followed live to its end and cleanup.</summary>
[Collection(LocalHostCollection.Name)]
public sealed class ConsoleSessionsViewTests(LocalHostFixture host, BrowserFixture browser) : IClassFixture<BrowserFixture>, IDisposable
{
    /// <summary>Records every status each labelled child row shows, in order, from the page's own DOM changes.</summary>
    private const string RecordStatuses = """
        labels => {
          window.seenStatuses = Object.fromEntries(labels.map(label => [label, []]));
          new MutationObserver(records => {
            for (const record of records) for (const node of record.addedNodes) {
              if (!(node instanceof Element)) continue;
              for (const row of node.querySelectorAll("tr[data-run-id]")) {
                const seen = window.seenStatuses[row.querySelector("td.label").textContent];
                const status = row.querySelector("td.status").dataset.status;
                if (seen && seen.at(-1) !== status) seen.push(status);
              }
            }
          }).observe(document.getElementById("watched-sessions"), { childList: true, subtree: true });
        }
        """;

    private readonly ErrorLogCheck errorLogs = host.CheckErrorLogs();

    [Fact]
    public async Task A_spawn_from_the_console_shows_accepted_running_completed_and_a_deleted_child_leaves_the_view()
    {
        var agentId = "ui" + Guid.NewGuid().ToString("N")[..12];
        await using var workerClient = (await PairedClientAsync(host, [], GatewayRoles.Node)).Client;
        await using var worker = new AgentWorkerHost((run, _) => Task.FromResult("echo: " + run.Task), new AgentWorkerOptions { AgentIds = [agentId] });
        await worker.StartAsync(workerClient);

        await using var console = await browser.OpenConsoleAsync(host.BaseUrl);
        var page = console.Page;
        await console.PairAsync(host, OperatorScopes.Admin);
        await LoadedAsync(page, "#sessions");
        var kept = "kept-" + agentId;
        var deleted = "deleted-" + agentId;
        await page.EvaluateAsync(RecordStatuses, new[] { kept, deleted });

        // A refusal is shown with its codes, and the refused key is not watched.
        await SpawnAsync(page, "agent:not a key", "nothing", kept, "keep");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("INVALID_REQUEST / INVALID_SESSION_KEY");
        await Expect(page.Locator("#watched-sessions section")).ToHaveCountAsync(0);

        await SpawnAsync(page, SessionKeys.Main(agentId), "say hello", kept, "keep");
        var keptRow = page.Locator("#watched-sessions tr[data-run-id]", new() { HasText = kept });
        await Expect(keptRow.Locator("td.status")).ToHaveAttributeAsync("data-status", "completed", new() { Timeout = 30_000 });
        await Expect(keptRow.Locator("td.output")).ToHaveTextAsync("echo: say hello");
        var seen = await page.EvaluateAsync<string[]>("label => window.seenStatuses[label]", kept);
        Assert.Equal("accepted", seen[0]);
        Assert.Equal("completed", seen[^1]);
        Assert.Contains("running", seen);
        Assert.Equal(seen.Distinct(), seen);
        await AssertNoSeriousViolationsAsync(page, "the sessions view with a completed sub-agent");
        await ScreenshotAsync(page, "#sessions", "console-sessions-completed.png");

        // cleanup "delete": the row shows up, and once the gateway has deleted the child it leaves the view.
        await SpawnAsync(page, SessionKeys.Main(agentId), "and goodbye", deleted, "delete");
        var deletedRow = page.Locator("#watched-sessions tr[data-run-id]", new() { HasText = deleted });
        await page.WaitForFunctionAsync("label => window.seenStatuses[label].includes('completed')", deleted, new() { Timeout = 30_000 });
        await Expect(deletedRow).ToHaveCountAsync(0, Count);
        var seenDeleted = await page.EvaluateAsync<string[]>("label => window.seenStatuses[label]", deleted);
        Assert.Equal(("accepted", "completed"), (seenDeleted[0], seenDeleted[^1]));
        await Expect(keptRow).ToHaveCountAsync(1);
        console.AssertNoProblems();
    }

    private static async Task SpawnAsync(IPage page, string requester, string task, string label, string cleanup)
    {
        var form = page.Locator("#spawn-form");
        await form.GetByLabel("Requester session key").FillAsync(requester);
        await form.GetByLabel("Task").FillAsync(task);
        await form.GetByLabel("Label (optional)").FillAsync(label);
        await form.GetByLabel("After the run").SelectOptionAsync(cleanup);
        await form.GetByRole(AriaRole.Button, new() { Name = "Spawn sub-agent" }).ClickAsync();
    }

    public void Dispose() => errorLogs.AssertNoUnexpectedErrors();
}
