using FunctionsGateway.Core.Options;

namespace FunctionsGateway.LocalHost;

/// <summary>
/// The local host's own switches, taken out of the arguments before the rest go to configuration (which reads
/// <c>--key value</c> pairs and has no place for a bare switch).
/// </summary>
public sealed record LocalHostArguments(string[] Configuration, bool OtelConsole, bool Help)
{
    public const string OtelConsoleSwitch = "--otel-console";

    public static readonly string HelpText = $"""
        FunctionsGateway local host: the Function App's endpoints at the same routes under /api, without Core Tools.

        usage: FunctionsGateway.LocalHost [--urls <url>] [--settings <file>] [--<Section>:<Key>=<value> ...] [{OtelConsoleSwitch}]

          --urls <url>                 where to listen (default {LocalGatewayApp.DefaultUrl})
          --settings <file>            a Core Tools style settings file (default local.settings.json, its "Values")
          --Gateway:SharedToken=<t>    any setting, as configuration (environment variables work too)
          {OtelConsoleSwitch}               print the gateway's spans and metrics (the FunctionsGateway source and meter)
                                       to the console; metrics every OTEL_METRIC_EXPORT_INTERVAL ms (default 60000)
          --help                       this text

        Telemetry also goes to an OpenTelemetry collector when {SettingNames.OtlpEndpoint} is set (for example
        http://localhost:4317; the standard OTEL_EXPORTER_OTLP_* settings apply), and to Application Insights when
        {SettingNames.AppInsightsConnectionString} is set. docs/telemetry.md lists every span, instrument and attribute.
        """;

    public static LocalHostArguments Parse(string[] args)
    {
        var otelConsole = args.Contains(OtelConsoleSwitch, StringComparer.OrdinalIgnoreCase);
        var help = args.Any(a => a is "--help" or "-h" or "-?");
        return new([.. args.Where(a => !a.Equals(OtelConsoleSwitch, StringComparison.OrdinalIgnoreCase) && a is not ("--help" or "-h" or "-?"))], otelConsole, help);
    }
}
