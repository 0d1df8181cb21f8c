using System.Diagnostics;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Tests;

namespace FunctionsGateway.IntegrationTests.EndToEnd;

/// <summary>The official JavaScript SignalR client completes the pairing flow: the wire is not .NET-only.</summary>
[Collection(LocalHostCollection.Name)]
public sealed class JavaScriptClientTests(LocalHostFixture host) : IDisposable
{
    /// <summary>An Error/Critical line the local host logs during the test fails it unless the test declares it.</summary>
    private readonly ErrorLogCheck errorLogs = host.CheckErrorLogs();

    [Fact]
    public async Task The_javascript_signalr_client_completes_the_pairing_flow()
    {
        var root = RepoPaths.Root;
        var script = Path.Combine(root, "tests", "wire", "node-pairing.mjs");
        Assert.True(Directory.Exists(Path.Combine(root, "node_modules", "@microsoft", "signalr")), "run npm ci first: node_modules/@microsoft/signalr is missing");
        var start = new ProcessStartInfo("node", [script, host.BaseUrl.ToString().TrimEnd('/'), GatewayHarness.SharedToken, LocalHostFixture.AdminKey])
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };

        // Stopped by its pid even when the wait below times out: no node left behind.
        await using var owned = OwnedProcess.Start(start);
        var node = owned.Process;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var output = await stdout;

        Assert.True(node.ExitCode == 0, $"node exited {node.ExitCode}\n{output}\n{await stderr}");
        var steps = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Collection(steps,
            s => Assert.Contains("\"step\":\"not-paired\"", s, StringComparison.Ordinal),
            s => Assert.Contains("Server returned an error on close: pairing required", s, StringComparison.Ordinal),
            s => Assert.Contains("\"decision\":\"approved\"", s, StringComparison.Ordinal),
            s => Assert.Contains("\"scopes\":[\"operator.read\"]", s, StringComparison.Ordinal));
    }

    public void Dispose() => errorLogs.AssertNoUnexpectedErrors();
}
