using Azure.Monitor.OpenTelemetry.Exporter;
using FunctionsGateway.Core.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace FunctionsGateway.Hosting;

/// <summary>What a host adds to the gateway's telemetry.</summary>
public sealed class GatewayTelemetryOptions
{
    /// <summary>Traces and metrics to the console as well (the local host's <c>--otel-console</c>).</summary>
    public bool Console { get; init; }

    /// <summary>The host's own part, applied when telemetry is on (the Function App: the worker's defaults).</summary>
    public Action<IOpenTelemetryBuilder>? Configure { get; init; }
}

public static class GatewayTelemetryServiceCollectionExtensions
{
    /// <summary>
    /// OpenTelemetry for the <c>FunctionsGateway</c> source and meter, exported where <see cref="TelemetrySettings"/>
    /// says (and to the console when asked). Without any exporter no SDK is registered: nobody listens, so the
    /// instrumentation costs next to nothing. A malformed telemetry setting fails the host's start, naming it.
    /// </summary>
    public static IServiceCollection AddGatewayTelemetry(this IServiceCollection services, IConfiguration configuration, GatewayTelemetryOptions? options = null)
    {
        options ??= new GatewayTelemetryOptions();
        var settings = TelemetrySettings.FromConfiguration(configuration);
        services.AddSingleton(settings);

        // Before the SDK's own hosted service, which builds the exporters: a malformed setting fails the start naming it.
        services.AddHostedService<TelemetryStartup>();
        if (!settings.AzureMonitor && !settings.Otlp && !options.Console)
        {
            return services;
        }

        var telemetry = services.AddOpenTelemetry();
        if (string.IsNullOrWhiteSpace(configuration["OTEL_SERVICE_NAME"]))
        {
            telemetry.ConfigureResource(resource => resource.AddService(GatewayTelemetry.Name));
        }

        options.Configure?.Invoke(telemetry);
        telemetry.WithTracing(tracing =>
        {
            tracing.AddSource(GatewayTelemetry.Name);
            if (settings.AzureMonitor)
            {
                tracing.AddAzureMonitorTraceExporter(o => AzureMonitor(o, settings));
            }

            if (settings.Otlp)
            {
                tracing.AddOtlpExporter();
            }

            if (options.Console)
            {
                tracing.AddConsoleExporter();
            }
        });
        telemetry.WithMetrics(metrics =>
        {
            metrics.AddMeter(GatewayTelemetry.Name);
            if (settings.AzureMonitor)
            {
                metrics.AddAzureMonitorMetricExporter(o => AzureMonitor(o, settings));
            }

            if (settings.Otlp)
            {
                metrics.AddOtlpExporter();
            }

            if (options.Console)
            {
                metrics.AddConsoleExporter();
            }
        });

        // Logs leave through OpenTelemetry only to a collector: the console has its own logger already.
        if (settings.AzureMonitor || settings.Otlp)
        {
            telemetry.WithLogging(logging =>
            {
                if (settings.AzureMonitor)
                {
                    logging.AddAzureMonitorLogExporter(o => AzureMonitor(o, settings));
                }

                if (settings.Otlp)
                {
                    logging.AddOtlpExporter();
                }
            });
        }

        return services;
    }

    private static void AzureMonitor(AzureMonitorExporterOptions options, TelemetrySettings settings)
    {
        options.ConnectionString = settings.AzureMonitorConnectionString;
        options.Credential = settings.AzureMonitorCredential();
    }
}

/// <summary>Checks the telemetry settings at start (<see cref="TelemetrySettings.Validate"/>).</summary>
internal sealed class TelemetryStartup(TelemetrySettings settings) : Microsoft.Extensions.Hosting.IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        settings.Validate();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
