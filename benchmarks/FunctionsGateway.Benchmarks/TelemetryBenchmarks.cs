using System.Diagnostics;
using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using FunctionsGateway.Core.Telemetry;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Benchmarks;

/// <summary>
/// What one refused call costs the instrumentation: the dispatch span, the denial and the upstream histogram. Without
/// a listener (no exporter configured) it must cost next to nothing and allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class TelemetryBenchmarks
{
    private static readonly GatewayResponse Refused = FunctionsGateway.Core.Authorization.Denials.MissingScope(ScopeSet.Admin);
    private readonly string method = string.Concat("sessions.", "patch");

    [Benchmark]
    public void Refused_call_nobody_listening() => Record();

    internal void Record()
    {
        using var activity = GatewayActivities.StartDispatch(method, isInternal: false);
        GatewayActivities.Answered(activity, Refused);
        GatewayMetrics.Denied(method, Refused, isInternal: false);
        GatewayMetrics.UpstreamAnswered(TimeSpan.FromMilliseconds(3), "messages", "req", method, 200);
    }
}

/// <summary>The same with the gateway's source sampled and its meter enabled (an SDK's listeners, without its exporters).</summary>
[MemoryDiagnoser]
public class TelemetryListenedBenchmarks
{
    private readonly TelemetryBenchmarks calls = new();
    private ActivityListener? activities;
    private MeterListener? meters;

    [GlobalSetup]
    public void Listen()
    {
        activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == GatewayTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(activities);
        meters = new MeterListener { InstrumentPublished = (instrument, listener) => listener.EnableMeasurementEvents(instrument) };
        meters.SetMeasurementEventCallback<long>((_, _, _, _) => { });
        meters.SetMeasurementEventCallback<double>((_, _, _, _) => { });
        meters.Start();
    }

    [GlobalCleanup]
    public void Stop()
    {
        activities?.Dispose();
        meters?.Dispose();
    }

    [Benchmark]
    public void Refused_call_listened_to() => calls.Record();
}
