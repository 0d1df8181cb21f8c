using System.Text.Encodings.Web;
using System.Text.Json;
using FunctionsGateway.Client;

namespace FunctionsGateway.Cli;

/// <summary>Where the CLI reads and writes, and how it sees the environment (replaceable in tests).</summary>
internal sealed record CliConsole(TextWriter Out, TextWriter Error, TextReader In, Func<string, string?> Environment);

internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int PairingTimedOut = 2;
    public const int PairingNotApproved = 3;

    /// <summary>worker: the gateway revoked the device's token or removed the device, so it stopped instead of reconnecting.</summary>
    public const int AccessWithdrawn = 4;
    public const int Usage = 64;
    public const int Interrupted = 130;
}

/// <summary>Parses the command line, runs one command, and turns failures into a message and an exit code.</summary>
internal static class CliApp
{
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static async Task<int> RunAsync(IReadOnlyList<string> argv, CliConsole console, CancellationToken cancellationToken)
    {
        try
        {
            var args = CliArguments.Parse(argv);
            if (args.Has("version"))
            {
                await console.Out.WriteLineAsync(new GatewayClientOptions().ClientVersion);
                return ExitCodes.Success;
            }

            if (args.Has("help"))
            {
                return await WriteHelpAsync(console);
            }

            if (args.Positionals.Count == 0)
            {
                await console.Error.WriteAsync(HelpText.Text);
                return ExitCodes.Usage;
            }

            var settings = CliSettings.From(args, console.Environment);
            return args.Positionals[0] switch
            {
                "pair" => await PairCommand.RunAsync(args, settings, console, cancellationToken),
                "call" => await CallCommand.RunAsync(args, settings, console, cancellationToken),
                "devices" => await DevicesCommand.RunAsync(args, settings, console, cancellationToken),
                "worker" => await WorkerCommand.RunAsync(args, settings, console, cancellationToken),
                "help" => await WriteHelpAsync(console),
                var other => throw new CliUsageException($"unknown command: {other}"),
            };
        }
        catch (CliUsageException ex)
        {
            await console.Error.WriteLineAsync($"gateway: {ex.Message}");
            await console.Error.WriteLineAsync("run 'gateway --help' for usage");
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await console.Error.WriteLineAsync("interrupted");
            return ExitCodes.Interrupted;
        }
        catch (GatewayException ex)
        {
            await WriteGatewayErrorAsync(console, ex);
            return ExitCodes.Failure;
        }
        catch (GatewayAdminException ex)
        {
            await console.Error.WriteLineAsync(FormatAdminError(ex));
            return ExitCodes.Failure;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or HttpRequestException or InvalidOperationException)
        {
            await console.Error.WriteLineAsync($"error: {ex.Message}");
            return ExitCodes.Failure;
        }
    }

    /// <summary><c>error &lt;code&gt; (&lt;details.code&gt;): &lt;message&gt;</c>.</summary>
    public static string FormatGatewayError(GatewayException ex)
        => ex.DetailCode is null ? $"error {ex.Code}: {ex.Message}" : $"error {ex.Code} ({ex.DetailCode}): {ex.Message}";

    public static string FormatAdminError(GatewayAdminException ex)
        => ex.DetailCode is null
            ? $"error {ex.Code} (HTTP {(int)ex.StatusCode}): {ex.Message}"
            : $"error {ex.Code} ({ex.DetailCode}, HTTP {(int)ex.StatusCode}): {ex.Message}";

    public static async Task WriteGatewayErrorAsync(CliConsole console, GatewayException ex)
    {
        if (ex is PairingRequiredException pairing && pairing.RequestId.Length > 0)
        {
            await console.Error.WriteLineAsync(DescribePending(pairing));
            await console.Error.WriteLineAsync(ApproveHint(pairing));
        }

        await console.Error.WriteLineAsync(FormatGatewayError(ex));
    }

    /// <summary><c>pairing required: request &lt;id&gt; (reason &lt;reason&gt;, scopes &lt;requested&gt;)</c>.</summary>
    public static string DescribePending(PairingRequiredException ex)
        => $"pairing required: request {ex.RequestId} (reason {Or(ex.Reason)}, scopes {Join(ex.RequestedScopes)})";

    public static string ApproveHint(PairingRequiredException ex) => $"approve with: gateway devices approve {ex.RequestId}";

    public static string ToIndentedJson(JsonElement element) => JsonSerializer.Serialize(element, Indented);

    public static string Join(IEnumerable<string>? values)
    {
        var joined = values is null ? string.Empty : string.Join(',', values);
        return joined.Length == 0 ? "(none)" : joined;
    }

    public static string Or(string? value) => string.IsNullOrEmpty(value) ? "-" : value;

    private static async Task<int> WriteHelpAsync(CliConsole console)
    {
        await console.Out.WriteAsync(HelpText.Text);
        return ExitCodes.Success;
    }
}
