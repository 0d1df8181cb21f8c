using System.Diagnostics;
using System.Diagnostics.Metrics;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Telemetry;

/// <summary>
/// The gateway's instruments on <see cref="GatewayTelemetry.Meter"/> (docs/telemetry.md). Each record method returns at
/// once while its instrument has no listener, before any tag is built.
/// </summary>
public static class GatewayMetrics
{
    private static readonly Counter<long> HandshakeCounter = GatewayTelemetry.Meter.CreateCounter<long>(
        TelemetryNames.Handshakes, "{handshake}", "connect calls answered, by outcome");

    private static readonly Counter<long> DenialCounter = GatewayTelemetry.Meter.CreateCounter<long>(
        TelemetryNames.Denials, "{denial}", "calls answered ok:false, by error code and detail code");

    private static readonly UpDownCounter<long> PendingCounter = GatewayTelemetry.Meter.CreateUpDownCounter<long>(
        TelemetryNames.PendingPairingRequests, "{request}", "pending pairing requests stored (+1) and resolved, removed or expired (-1) by this instance");

    private static readonly Counter<long> ApprovalCounter = GatewayTelemetry.Meter.CreateCounter<long>(
        TelemetryNames.Approvals, "{approval}", "pairing requests approved, by who approved them");

    /// <summary>Bucket bounds in ms, from a point read on a warm connection to a call that waited out its deadline.</summary>
    public static readonly IReadOnlyList<double> DurationBuckets = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

    private static readonly Histogram<double> SpawnHistogram = GatewayTelemetry.Meter.CreateHistogram(
        TelemetryNames.SpawnDuration, "ms", "time the spawn function took for one sub-agent (identity, admission, child session, run), by outcome",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    private static readonly Histogram<double> UpstreamHistogram = GatewayTelemetry.Meter.CreateHistogram(
        TelemetryNames.UpstreamDuration, "ms", "time the gateway took to answer one SignalR upstream request, by category, event, method and status",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    public static bool UpstreamEnabled => UpstreamHistogram.Enabled;

    public static bool SpawnEnabled => SpawnHistogram.Enabled;

    /// <summary>A <c>connect</c> answered (admitted, pairing required, refused or unavailable).</summary>
    public static void Handshake(GatewayResponse response, bool isInternal)
    {
        if (HandshakeCounter.Enabled)
        {
            HandshakeCounter.Add(1,
                new KeyValuePair<string, object?>(TelemetryNames.HandshakeOutcome, TelemetryTags.HandshakeOutcome(response)),
                new KeyValuePair<string, object?>(TelemetryNames.Origin, TelemetryTags.Origin(isInternal)));
        }
    }

    /// <summary>A call answered <c>ok:false</c>; nothing for a success.</summary>
    public static void Denied(string? method, GatewayResponse response, bool isInternal)
    {
        if (response.Ok || !DenialCounter.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { TelemetryNames.ErrorCode, TelemetryTags.ErrorCode(response.Error?.Code) },
            { TelemetryNames.Method, TelemetryTags.Method(method) },
            { TelemetryNames.Origin, TelemetryTags.Origin(isInternal) },
        };
        if (TelemetryTags.DetailCode(response) is { } detail)
        {
            tags.Add(TelemetryNames.DetailCode, detail);
        }

        DenialCounter.Add(1, tags);
    }

    /// <summary>+1 when a device's pending request is stored; -1 when one is decided, removed or expired.</summary>
    public static void PendingChanged(int delta)
    {
        if (PendingCounter.Enabled)
        {
            PendingCounter.Add(delta);
        }
    }

    /// <summary>An approval committed, by one of <see cref="Approvers"/>.</summary>
    public static void Approved(string approver)
    {
        if (ApprovalCounter.Enabled)
        {
            ApprovalCounter.Add(1, new KeyValuePair<string, object?>(TelemetryNames.Approver, approver));
        }
    }

    public static void SpawnFinished(TimeSpan elapsed, string outcome)
    {
        if (SpawnHistogram.Enabled)
        {
            SpawnHistogram.Record(elapsed.TotalMilliseconds, new KeyValuePair<string, object?>(TelemetryNames.SpawnOutcome, outcome));
        }
    }

    /// <summary>One upstream request answered; <paramref name="method"/> only for a <c>req</c> call that named one.</summary>
    public static void UpstreamAnswered(TimeSpan elapsed, string category, string @event, string? method, int status)
    {
        if (!UpstreamHistogram.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { TelemetryNames.UpstreamCategory, category },
            { TelemetryNames.UpstreamEvent, @event },
            { TelemetryNames.HttpStatus, status },
        };
        if (method is not null)
        {
            tags.Add(TelemetryNames.Method, TelemetryTags.Method(method));
        }

        UpstreamHistogram.Record(elapsed.TotalMilliseconds, tags);
    }
}
