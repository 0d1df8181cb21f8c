using System.Text;
using System.Text.RegularExpressions;
using FunctionsGateway.Cli;
using FunctionsGateway.IntegrationTests.Infrastructure;

namespace FunctionsGateway.IntegrationTests.EndToEnd;

/// <summary>The gateway CLI against the local host: pair, approve from another "shell", then call.</summary>
[Collection(LocalHostCollection.Name)]
public sealed partial class CliTests(LocalHostFixture host) : IDisposable
{
    /// <summary>An Error/Critical line the local host logs during the test fails it unless the test declares it.</summary>
    private readonly ErrorLogCheck errorLogs = host.CheckErrorLogs();

    [Fact]
    public async Task Pair_waits_for_an_approval_given_with_devices_approve_then_call_works()
    {
        var environment = new Dictionary<string, string?>
        {
            ["GATEWAY_URL"] = host.BaseUrl.ToString(),
            ["GATEWAY_SHARED_TOKEN"] = GatewayHarness.SharedToken,
            ["GATEWAY_ADMIN_KEY"] = LocalHostFixture.AdminKey,
            ["GATEWAY_IDENTITY"] = LocalHostFixture.NewIdentityPath(),
        };
        var pairOutput = new WatchedWriter(RequestLine());
        var pair = CliApp.RunAsync(["pair", "--scopes", "operator.read,operator.pairing", "--timeout", "60", "--poll", "0.2"],
            Console(pairOutput, environment), CancellationToken.None);

        var requestId = RequestLine().Match(await pairOutput.Matched.WaitAsync(TimeSpan.FromSeconds(30))).Groups[1].Value;
        var approveOutput = new WatchedWriter(null);
        Assert.Equal(0, await CliApp.RunAsync(["devices", "approve", requestId], Console(approveOutput, environment), CancellationToken.None));
        Assert.Contains("approved", approveOutput.Text, StringComparison.Ordinal);

        Assert.Equal(0, await pair.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("scopes:     operator.pairing,operator.read", pairOutput.Text, StringComparison.Ordinal);

        var callOutput = new WatchedWriter(null);
        Assert.Equal(0, await CliApp.RunAsync(["call", "status"], Console(callOutput, environment), CancellationToken.None));
        Assert.Contains("\"deviceId\"", callOutput.Text, StringComparison.Ordinal);

        // Rotating our own token keeps the only copy in the identity file, never on screen, and it works.
        var rotateOutput = new WatchedWriter(null);
        Assert.Equal(0, await CliApp.RunAsync(["call", "device.token.rotate", "--scopes", "operator.pairing"], Console(rotateOutput, environment), CancellationToken.None));
        Assert.Contains("saved to the identity file", rotateOutput.Text, StringComparison.Ordinal);
        using (var identity = FunctionsGateway.Client.DeviceIdentityStore.Load(environment["GATEWAY_IDENTITY"]!))
        {
            Assert.DoesNotContain(identity.GetDeviceToken("operator")!, rotateOutput.Text, StringComparison.Ordinal);
        }

        environment["GATEWAY_SHARED_TOKEN"] = null;
        var withRotated = new WatchedWriter(null);
        Assert.Equal(0, await CliApp.RunAsync(["call", "status"], Console(withRotated, environment), CancellationToken.None));
        environment["GATEWAY_SHARED_TOKEN"] = GatewayHarness.SharedToken;

        var deniedError = new WatchedWriter(null);
        var denied = await CliApp.RunAsync(["call", "device.pair.list", "--scopes", "operator.read"],
            new CliConsole(new WatchedWriter(null), deniedError, TextReader.Null, k => environment.GetValueOrDefault(k)), CancellationToken.None);
        Assert.Equal(1, denied);
        Assert.Contains("missing scope: operator.pairing", deniedError.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Devices_commands_without_a_valid_admin_key_fail_with_exit_code_1()
    {
        var environment = new Dictionary<string, string?> { ["GATEWAY_URL"] = host.BaseUrl.ToString(), ["GATEWAY_ADMIN_KEY"] = "wrong-key" };
        var error = new WatchedWriter(null);

        var exit = await CliApp.RunAsync(["devices", "list"], new CliConsole(new WatchedWriter(null), error, TextReader.Null, k => environment.GetValueOrDefault(k)), CancellationToken.None);

        Assert.Equal(1, exit);
        Assert.Contains("401", error.Text, StringComparison.Ordinal);
    }

    private static CliConsole Console(TextWriter output, Dictionary<string, string?> environment)
        => new(output, new WatchedWriter(null), TextReader.Null, k => environment.GetValueOrDefault(k));

    [GeneratedRegex(@"approve with: gateway devices approve ([0-9a-f]{32})")]
    private static partial Regex RequestLine();

    /// <summary>A thread-safe writer that completes a task when a pattern shows up, so the test waits on output, not time.</summary>
    private sealed class WatchedWriter(Regex? pattern) : TextWriter
    {
        private readonly StringBuilder text = new();
        private readonly TaskCompletionSource<string> matched = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override Encoding Encoding => Encoding.UTF8;

        public Task<string> Matched => matched.Task;

        public string Text
        {
            get
            {
                lock (text)
                {
                    return text.ToString();
                }
            }
        }

        public override void Write(char value)
        {
            lock (text)
            {
                text.Append(value);
                if (pattern?.Match(text.ToString()) is { Success: true } m)
                {
                    matched.TrySetResult(m.Value);
                }
            }
        }
    }

    public void Dispose() => errorLogs.AssertNoUnexpectedErrors();
}
