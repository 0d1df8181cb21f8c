using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace FunctionsGateway.Core.Telemetry;

/// <summary>
/// The gateway's one <see cref="Meter"/> and one <see cref="ActivitySource"/>, both named <see cref="Name"/>
/// (docs/telemetry.md). Static, like the BCL's own sources: an exporter subscribes by name, and while nobody does,
/// <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null and every instrument is disabled.
/// </summary>
public static class GatewayTelemetry
{
    /// <summary>The name an OpenTelemetry provider subscribes to (<c>AddSource</c>, <c>AddMeter</c>).</summary>
    public const string Name = "FunctionsGateway";

    private static readonly string? Version = typeof(GatewayTelemetry).Assembly.GetName().Version?.ToString(3);

    public static ActivitySource Source { get; } = new(Name, Version);

    public static Meter Meter { get; } = new(Name, Version);

    /// <summary>True while some listener samples the gateway's activities (nothing to build otherwise).</summary>
    public static bool Tracing => Source.HasListeners();
}
