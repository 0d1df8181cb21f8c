using System.Diagnostics;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Telemetry;

/// <summary>
/// The spans Core starts on <see cref="GatewayTelemetry.Source"/>. Every start returns null while nobody listens, and
/// every other method takes that null, so call sites stay one line.
/// </summary>
public static class GatewayActivities
{
    /// <summary>One call through the dispatcher; its name carries the method (<c>gateway.dispatch health</c>).</summary>
    public static Activity? StartDispatch(string? method, bool isInternal)
    {
        var activity = GatewayTelemetry.Source.StartActivity(TelemetryNames.DispatchSpan, ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            var name = TelemetryTags.Method(method);
            activity.DisplayName = TelemetryNames.DispatchSpan + " " + name;
            activity.SetTag(TelemetryNames.Method, name);
            activity.SetTag(TelemetryNames.Origin, TelemetryTags.Origin(isInternal));
        }

        return activity;
    }

    /// <summary>
    /// The answer's codes on <paramref name="activity"/>. A refusal is an answer, not a fault: only <c>UNAVAILABLE</c>
    /// (storage, or the gateway itself, failed) marks the span as an error.
    /// </summary>
    public static void Answered(Activity? activity, GatewayResponse response)
    {
        if (activity is not { IsAllDataRequested: true } || response.Ok)
        {
            return;
        }

        var code = TelemetryTags.ErrorCode(response.Error?.Code);
        activity.SetTag(TelemetryNames.ErrorCode, code);
        if (TelemetryTags.DetailCode(response) is { } detail)
        {
            activity.SetTag(TelemetryNames.DetailCode, detail);
        }

        if (code == ErrorCodes.Unavailable)
        {
            activity.SetTag(TelemetryNames.ErrorType, code);
            activity.SetStatus(ActivityStatusCode.Error);
        }
    }

    /// <summary>An exception left the span: its type only (a message may quote input).</summary>
    public static void Failed(Activity? activity, Exception exception)
    {
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(TelemetryNames.ErrorType, exception.GetType().FullName);
            activity.SetStatus(ActivityStatusCode.Error);
        }
    }

    /// <summary>One run of the spawn function; its dispatcher calls are its children.</summary>
    public static Activity? StartSpawn() => GatewayTelemetry.Source.StartActivity(TelemetryNames.SpawnSpan, ActivityKind.Internal);

    public static void SpawnFinished(Activity? activity, string outcome)
    {
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(TelemetryNames.SpawnOutcome, outcome);
            if (outcome == SpawnOutcomes.Failed)
            {
                activity.SetStatus(ActivityStatusCode.Error);
            }
        }
    }
}
