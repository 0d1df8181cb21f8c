using System.Diagnostics;
using FunctionsGateway.Core.Telemetry;
using FunctionsGateway.Protocol;
using FunctionsGateway.SignalR.Serverless;
using Microsoft.AspNetCore.Http;

namespace FunctionsGateway.Hosting;

/// <summary>
/// The <c>gateway.upstream</c> span and the <c>gateway.upstream.duration</c> histogram around one upstream request
/// (docs/telemetry.md). Category and event come from headers nobody has checked yet, so each is one of the values the
/// gateway knows, else <see cref="TelemetryNames.Other"/>; the method is noted once the request is read.
/// </summary>
internal static class UpstreamTelemetry
{
    private static readonly AsyncLocal<UpstreamCall?> Current = new();

    public static bool On => GatewayMetrics.UpstreamEnabled || GatewayTelemetry.Tracing;

    /// <summary>The method of the <c>req</c> call being answered, for the span and the histogram around it.</summary>
    public static void NoteMethod(string method)
    {
        if (Current.Value is { } call)
        {
            call.Method = method;
        }
    }

    public static async Task<HttpReply> MeasureAsync(HttpRequest request, Func<HttpRequest, CancellationToken, Task<HttpReply>> handle, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var (category, @event) = Classify(request.Headers[UpstreamHeaders.CategoryHeader].ToString(), request.Headers[UpstreamHeaders.EventHeader].ToString());

        // Its own root when no host span encloses it (the local host): a server span, like the request it answers.
        using var activity = GatewayTelemetry.Source.StartActivity(TelemetryNames.UpstreamSpan, Activity.Current is null ? ActivityKind.Server : ActivityKind.Internal);
        var call = new UpstreamCall();
        Current.Value = call;
        var status = StatusCodes.Status500InternalServerError;
        try
        {
            var reply = await handle(request, cancellationToken);
            status = reply.Status;
            return reply;
        }
        catch (Exception ex)
        {
            GatewayActivities.Failed(activity, ex);
            throw;
        }
        finally
        {
            var method = call.Method is null ? null : TelemetryTags.Method(call.Method);
            if (activity is { IsAllDataRequested: true })
            {
                activity.DisplayName = TelemetryNames.UpstreamSpan + " " + (method ?? @event);
                activity.SetTag(TelemetryNames.UpstreamCategory, category);
                activity.SetTag(TelemetryNames.UpstreamEvent, @event);
                activity.SetTag(TelemetryNames.Method, method);
                activity.SetTag(TelemetryNames.HttpStatus, status);
                if (status >= 500)
                {
                    activity.SetStatus(ActivityStatusCode.Error);
                }
            }

            GatewayMetrics.UpstreamAnswered(Stopwatch.GetElapsedTime(started), category, @event, method, status);
        }
    }

    /// <summary><c>connections</c> with <c>connected</c>/<c>disconnected</c>, <c>messages</c> with <c>req</c>; anything else is <c>_OTHER</c>.</summary>
    internal static (string Category, string Event) Classify(string category, string @event)
    {
        if (category.Equals("connections", StringComparison.OrdinalIgnoreCase))
        {
            return ("connections",
                @event.Equals(UpstreamHeaders.ConnectedEvent, StringComparison.OrdinalIgnoreCase) ? UpstreamHeaders.ConnectedEvent
                : @event.Equals(UpstreamHeaders.DisconnectedEvent, StringComparison.OrdinalIgnoreCase) ? UpstreamHeaders.DisconnectedEvent
                : TelemetryNames.Other);
        }

        if (category.Equals("messages", StringComparison.OrdinalIgnoreCase))
        {
            return ("messages", @event.Equals(GatewayProtocol.RequestTarget, StringComparison.OrdinalIgnoreCase) ? GatewayProtocol.RequestTarget : TelemetryNames.Other);
        }

        return (TelemetryNames.Other, TelemetryNames.Other);
    }

    private sealed class UpstreamCall
    {
        public string? Method { get; set; }
    }
}
