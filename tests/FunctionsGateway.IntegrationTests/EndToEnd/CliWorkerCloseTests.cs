using System.Text;
using System.Text.RegularExpressions;
using FunctionsGateway.Cli;
using FunctionsGateway.Client;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.EndToEnd;

/// <summary><c>gateway worker</c> against the local host: a revoked device stops the worker instead of a reconnect loop.</summary>
[Collection(LocalHostCollection.Name)]
public sealed partial class CliWorkerCloseTests(LocalHostFixture host) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>An Error/Critical line the local host logs during the test fails it unless the test declares it.</summary>
    private readonly ErrorLogCheck errorLogs = host.CheckErrorLogs();

    [Fact]
    public async Task A_worker_whose_device_token_is_revoked_stops_with_exit_code_4_instead_of_reconnecting()
    {
        var environment = new Dictionary<string, string?>
        {
            ["GATEWAY_URL"] = host.BaseUrl.ToString(),
            ["GATEWAY_SHARED_TOKEN"] = GatewayHarness.SharedToken,
            ["GATEWAY_IDENTITY"] = LocalHostFixture.NewIdentityPath(),
        };
        var output = new LineWatcher();
        var errors = new LineWatcher();
        using var stop = new CancellationTokenSource();
        var worker = Task.Run(() => CliApp.RunAsync(["worker", "--echo", "--timeout", "60", "--poll", "0.2"],
            new CliConsole(output, errors, TextReader.Null, k => environment.GetValueOrDefault(k)), stop.Token));
        try
        {
            var requestId = (await output.WaitForAsync(RequestLine()).WaitAsync(Patience)).Groups[1].Value;
            using (var admin = host.Admin())
            {
                await admin.ApproveAsync(requestId);
            }

            var deviceId = (await output.WaitForAsync(ReadyLine()).WaitAsync(Patience)).Groups[1].Value;
            await using (var operatorClient = await PairedAdminAsync())
            {
                await operatorClient.InvokeAsync(GatewayMethods.DeviceTokenRevoke, new { deviceId, role = GatewayRoles.Node });
            }

            Assert.Equal(ExitCodes.AccessWithdrawn, await worker.WaitAsync(Patience));
            Assert.Contains($"connection closed ({CloseReasons.DeviceTokenRevoked}); not reconnecting", output.Text, StringComparison.Ordinal);
            Assert.Contains("pair it again", errors.Text, StringComparison.Ordinal);
            Assert.Single(ReadyLine().Matches(output.Text));
        }
        finally
        {
            await stop.CancelAsync();
            await worker.WaitAsync(Patience);
        }
    }

    private async Task<GatewayClient> PairedAdminAsync()
    {
        var options = host.Options(LocalHostFixture.NewIdentityPath(), [OperatorScopes.Admin]);
        var pending = await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(options));
        using (var admin = host.Admin())
        {
            await admin.ApproveAsync(pending.RequestId);
        }

        return await GatewayClient.ConnectAsync(options);
    }

    [GeneratedRegex(@"approve with: gateway devices approve ([0-9a-f]{32})")]
    private static partial Regex RequestLine();

    [GeneratedRegex(@"worker ready: device ([0-9a-f]{64})")]
    private static partial Regex ReadyLine();

    /// <summary>A thread-safe writer a test can wait on for a pattern, so it waits on output, not on time.</summary>
    private sealed class LineWatcher : TextWriter
    {
        private readonly StringBuilder text = new();
        private readonly List<(Regex Pattern, TaskCompletionSource<Match> Seen)> waiters = [];

        public override Encoding Encoding => Encoding.UTF8;

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

        public Task<Match> WaitForAsync(Regex pattern)
        {
            lock (text)
            {
                if (pattern.Match(text.ToString()) is { Success: true } seen)
                {
                    return Task.FromResult(seen);
                }

                var waiter = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
                waiters.Add((pattern, waiter));
                return waiter.Task;
            }
        }

        public override void Write(char value)
        {
            lock (text)
            {
                text.Append(value);
                if (value != '\n')
                {
                    return;
                }

                foreach (var (pattern, seen) in waiters.ToArray())
                {
                    if (pattern.Match(text.ToString()) is { Success: true } m)
                    {
                        seen.TrySetResult(m);
                        waiters.Remove((pattern, seen));
                    }
                }
            }
        }
    }

    public void Dispose() => errorLogs.AssertNoUnexpectedErrors();
}
