using FunctionsGateway.Client;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Cli;

/// <summary>A connect that waited for approval: the client, or (already explained on the console) the exit code.</summary>
internal sealed record ApprovedConnection(GatewayClient? Client, bool Waited, int ExitCode);

/// <summary><c>gateway pair</c>: connect; while pairing is required, print the request and wait for approval.</summary>
internal static class PairCommand
{
    public const double DefaultTimeoutSeconds = 300;
    public const double DefaultPollSeconds = 2;
    public const double DefaultPollMaxSeconds = 30;

    public static async Task<int> RunAsync(CliArguments args, CliSettings settings, CliConsole console, CancellationToken cancellationToken)
    {
        args.RequireOnly("pair", "role", "scopes", "timeout", "poll", "poll-max");
        if (args.Positionals.Count > 1)
        {
            throw new CliUsageException($"pair takes no arguments, got: {args.Positionals[1]}");
        }

        var role = CliSettings.ParseRole(args);
        var scopes = CliSettings.ParseScopes(args, role == GatewayRoles.Operator ? [OperatorScopes.Read] : []);
        var timeout = args.GetSeconds("timeout", DefaultTimeoutSeconds);
        var poll = args.GetSeconds("poll", DefaultPollSeconds);

        var connected = await ConnectWhenApprovedAsync(WithPollMax(settings.ToClientOptions(role, scopes), args), poll, timeout, console, cancellationToken);
        if (connected.Client is null)
        {
            return connected.ExitCode;
        }

        await using var client = connected.Client;
        await console.Out.WriteLineAsync(connected.Waited ? "approved" : "already paired");
        await console.Out.WriteLineAsync($"device:     {client.DeviceId}");
        await console.Out.WriteLineAsync($"role:       {client.Role}");
        await console.Out.WriteLineAsync($"scopes:     {CliApp.Join(client.Scopes)}");
        await console.Out.WriteLineAsync($"connection: {client.ConnectionId}");
        if (client.ReceivedDeviceToken)
        {
            await console.Out.WriteLineAsync("device token saved to the identity file");
        }

        return ExitCodes.Success;
    }

    /// <summary><c>--poll-max</c>: the longest wait between reconnects while approval is pending.</summary>
    public static GatewayClientOptions WithPollMax(GatewayClientOptions options, CliArguments args)
    {
        options.PairingPollMaxInterval = args.GetSeconds("poll-max", DefaultPollMaxSeconds);
        return options;
    }

    /// <summary>
    /// Connects; while the gateway needs an approval, prints the pending request id once (and again if it changes) and
    /// reconnects after <paramref name="poll"/>, then twice as long each time up to the options' maximum, until approved.
    /// A timeout or a rejected request is printed and returned as its exit code, with no client.
    /// </summary>
    public static async Task<ApprovedConnection> ConnectWhenApprovedAsync(
        GatewayClientOptions options, TimeSpan poll, TimeSpan timeout, CliConsole console, CancellationToken cancellationToken)
    {
        string? shown = null;
        var progress = new InlineProgress<PairingRequiredException>(pending =>
        {
            if (pending.RequestId == shown)
            {
                return;
            }

            shown = pending.RequestId;
            console.Out.WriteLine(pending.RequestId.Length > 0 ? CliApp.DescribePending(pending) : "pairing required (the gateway closed before naming the request)");
            if (pending.RequestId.Length > 0)
            {
                console.Out.WriteLine(CliApp.ApproveHint(pending));
            }

            console.Out.WriteLine($"waiting up to {timeout.TotalSeconds:0.#}s for approval...");
            console.Out.Flush();
        });

        try
        {
            var client = await GatewayClient.ConnectWhenApprovedAsync(options, poll, timeout, progress, cancellationToken);
            return new ApprovedConnection(client, shown is not null, ExitCodes.Success);
        }
        catch (TimeoutException ex)
        {
            await console.Error.WriteLineAsync($"timed out: {ex.Message}");
            return new ApprovedConnection(null, shown is not null, ExitCodes.PairingTimedOut);
        }
        catch (PairingNotApprovedException ex)
        {
            await console.Error.WriteLineAsync(ex.Message);
            await console.Error.WriteLineAsync($"approve with: gateway devices approve {ex.NextRequestId}  (then run the command again)");
            return new ApprovedConnection(null, true, ExitCodes.PairingNotApproved);
        }
    }

    /// <summary>Reports synchronously, in order (<see cref="Progress{T}"/> posts to the thread pool).</summary>
    private sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
