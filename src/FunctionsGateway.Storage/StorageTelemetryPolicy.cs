using System.Collections.Frozen;
using System.Diagnostics;
using Azure.Core;
using Azure.Core.Pipeline;
using FunctionsGateway.Core.Telemetry;

namespace FunctionsGateway.Storage;

/// <summary>
/// One client span per table or queue request made inside another span (outside the retries, so a retried request is
/// one span with its final status), named <c>{HTTP method} {table or queue}</c>. It records the table or queue by its name in
/// <see cref="StorageNames"/> only, never the path: a path carries partition and row keys (device and connection ids),
/// message ids and pop receipts, and a query may carry a SAS.
/// </summary>
internal sealed class StorageTelemetryPolicy : HttpPipelinePolicy
{
    /// <summary>A batch goes to <c>/$batch</c>: its table travels as this message property (<see cref="TableExtensions.SubmitAsync"/>).</summary>
    public const string TableProperty = "FunctionsGateway.Table";

    public const string BatchName = "$batch";

    /// <summary>The table-service endpoint that creates and lists tables.</summary>
    public const string TablesName = "Tables";

    public static readonly StorageTelemetryPolicy Tables = new("table", [.. StorageNames.AllTables, BatchName, TablesName]);

    public static readonly StorageTelemetryPolicy Queues = new("queue",
        [.. StorageNames.AllQueues, .. StorageNames.AllQueues.Select(q => q + GatewayQueues.PoisonSuffix)]);

    private readonly string service;
    private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> names;

    private StorageTelemetryPolicy(string service, IEnumerable<string> names)
    {
        this.service = service;
        this.names = names.ToFrozenSet(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Adds the policy ahead of every other per-call policy, so it sees what they throw.</summary>
    public T Apply<T>(T options) where T : ClientOptions
    {
        options.AddPolicy(this, HttpPipelinePosition.PerCall);
        return options;
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        using var activity = Start(message);
        try
        {
            ProcessNext(message, pipeline);
            Stop(activity, message);
        }
        catch (Exception ex)
        {
            Fail(activity, message, ex);
            throw;
        }
    }

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        => GatewayTelemetry.Tracing ? TracedAsync(message, pipeline) : ProcessNextAsync(message, pipeline);

    private async ValueTask TracedAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        using var activity = Start(message);
        try
        {
            await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
            Stop(activity, message);
        }
        catch (Exception ex)
        {
            Fail(activity, message, ex);
            throw;
        }
    }

    /// <summary>The table or queue a request addresses, as <see cref="StorageNames"/> spells it, else <see cref="TelemetryNames.Other"/>.</summary>
    public string NameOf(HttpMessage message)
    {
        // Path-style (Azurite: /account/name...) or host-style (/name...): the first segment that is one of ours.
        var path = message.Request.Uri.Path.AsSpan();
        foreach (var range in path.Split('/'))
        {
            var segment = path[range];
            var open = segment.IndexOf('(');
            if (open >= 0)
            {
                segment = segment[..open];
            }

            if (segment.Length > 0 && names.TryGetValue(segment, out var name))
            {
                return name == BatchName && message.TryGetProperty(TableProperty, out var table) && table is string batched ? batched : name;
            }
        }

        return TelemetryNames.Other;
    }

    private Activity? Start(HttpMessage message)
    {
        // Only inside a call, a spawn or a host's invocation: a background poll (the local queue pump) is no trace.
        if (Activity.Current is null)
        {
            return null;
        }

        var activity = GatewayTelemetry.Source.StartActivity(TelemetryNames.StorageSpan, ActivityKind.Client);
        if (activity is not { IsAllDataRequested: true })
        {
            return activity;
        }

        var method = message.Request.Method.Method;
        var name = NameOf(message);
        var uri = message.Request.Uri;
        activity.DisplayName = method + " " + name;
        activity.SetTag(TelemetryNames.AzureNamespace, "Microsoft.Storage");
        activity.SetTag(TelemetryNames.StorageService, service);
        activity.SetTag(TelemetryNames.StorageName, name);
        activity.SetTag(TelemetryNames.HttpMethod, method);
        activity.SetTag(TelemetryNames.ServerAddress, uri.Host);
        activity.SetTag(TelemetryNames.ServerPort, uri.Port);
        return activity;
    }

    private static void Stop(Activity? activity, HttpMessage message)
    {
        if (activity is not { IsAllDataRequested: true } || !message.HasResponse)
        {
            return;
        }

        var status = message.Response.Status;
        activity.SetTag(TelemetryNames.HttpStatus, status);
        if (status >= 400)
        {
            // A 404 read or a 409/412 lost race is an answer the stores expect; only "not now" is a fault.
            activity.SetTag(TelemetryNames.ErrorType, status.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (StorageFaultPolicy.IsUnavailableStatus(status))
            {
                activity.SetStatus(ActivityStatusCode.Error);
            }
        }
    }

    private static void Fail(Activity? activity, HttpMessage message, Exception exception)
    {
        Stop(activity, message);
        GatewayActivities.Failed(activity, exception);
    }
}
