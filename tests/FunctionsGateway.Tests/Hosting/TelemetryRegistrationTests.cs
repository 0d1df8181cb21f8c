using Azure.Identity;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace FunctionsGateway.Tests.Hosting;

/// <summary>
/// Which exporters the gateway's telemetry registration builds for which settings. The providers are built for real
/// and their exporters found in them; every endpoint is a closed loopback port, so nothing leaves the machine.
/// </summary>
public sealed class TelemetryRegistrationTests
{
    private const string ConnectionString =
        "InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=http://127.0.0.1:9/;LiveEndpoint=http://127.0.0.1:9/";

    private const string Otlp = "http://127.0.0.1:9";
    private const string ClientId = "11111111-2222-3333-4444-555555555555";

    [Fact]
    public void Without_any_setting_no_opentelemetry_sdk_is_registered_at_all()
    {
        using var services = Build([]);

        Assert.Null(services.GetService<TracerProvider>());
        Assert.Null(services.GetService<MeterProvider>());
        Assert.Null(services.GetService<LoggerProvider>());
    }

    [Fact]
    public void The_application_insights_connection_string_adds_the_azure_monitor_exporter_for_traces_metrics_and_logs()
    {
        using var services = Build(new() { [SettingNames.AppInsightsConnectionString] = ConnectionString });

        Assert.Equal(["AzureMonitorTraceExporter"], Exporters(services.GetRequiredService<TracerProvider>()));
        Assert.Equal(["AzureMonitorMetricExporter"], Exporters(services.GetRequiredService<MeterProvider>()));
        Assert.Equal(["AzureMonitorLogExporter"], Exporters(LoggerProviderOf(services)));
        Assert.Null(services.GetRequiredService<TelemetrySettings>().AzureMonitorCredential());
    }

    [Theory]
    [InlineData("Authorization=AAD;ClientId=" + ClientId, ClientId)]
    [InlineData("ClientId=" + ClientId + ";Authorization=AAD", ClientId)]
    [InlineData(" authorization = aad ", null)]
    public void Under_entra_the_exporter_signs_in_with_the_managed_identity_the_authentication_string_names(string authentication, string? clientId)
    {
        using var services = Build(new()
        {
            [SettingNames.AppInsightsConnectionString] = ConnectionString,
            [SettingNames.AppInsightsAuthenticationString] = authentication,
        });

        var settings = services.GetRequiredService<TelemetrySettings>();
        Assert.True(settings.AzureMonitorUsesEntra);
        Assert.Equal(clientId, settings.AzureMonitorClientId);
        Assert.IsType<ManagedIdentityCredential>(settings.AzureMonitorCredential());

        // The credential reaches each exporter: a managed-identity credential is in each provider's exporter.
        Assert.Equal(["AzureMonitorTraceExporter"], Exporters(services.GetRequiredService<TracerProvider>()));
        Assert.Contains(typeof(ManagedIdentityCredential), Reachable(services.GetRequiredService<TracerProvider>()).Select(o => o.GetType()));
        Assert.Contains(typeof(ManagedIdentityCredential), Reachable(services.GetRequiredService<MeterProvider>()).Select(o => o.GetType()));
    }

    [Fact]
    public void Without_the_authentication_string_no_credential_reaches_the_exporter()
    {
        using var services = Build(new() { [SettingNames.AppInsightsConnectionString] = ConnectionString });

        Assert.DoesNotContain(Reachable(services.GetRequiredService<TracerProvider>()), o => o is Azure.Core.TokenCredential);
    }

    [Fact]
    public void The_otlp_endpoint_adds_the_otlp_exporter_for_traces_metrics_and_logs()
    {
        using var services = Build(new() { [SettingNames.OtlpEndpoint] = Otlp });

        Assert.Equal(["OtlpTraceExporter"], Exporters(services.GetRequiredService<TracerProvider>()));
        Assert.Equal(["OtlpMetricExporter"], Exporters(services.GetRequiredService<MeterProvider>()));
        Assert.Equal(["OtlpLogExporter"], Exporters(LoggerProviderOf(services)));
    }

    [Fact]
    public void The_console_adds_the_console_exporter_for_traces_and_metrics_and_leaves_logs_to_the_console_logger()
    {
        using var services = Build([], new GatewayTelemetryOptions { Console = true });

        Assert.Equal(["ConsoleActivityExporter"], Exporters(services.GetRequiredService<TracerProvider>()));
        Assert.Equal(["ConsoleMetricExporter"], Exporters(services.GetRequiredService<MeterProvider>()));
        Assert.Null(services.GetService<LoggerProvider>());
    }

    [Fact]
    public void Every_setting_at_once_adds_every_exporter_and_the_hosts_own_part()
    {
        var configured = false;
        using var services = Build(
            new() { [SettingNames.AppInsightsConnectionString] = ConnectionString, [SettingNames.OtlpEndpoint] = Otlp },
            new GatewayTelemetryOptions { Console = true, Configure = _ => configured = true });

        Assert.Equal(["AzureMonitorTraceExporter", "ConsoleActivityExporter", "OtlpTraceExporter"], Exporters(services.GetRequiredService<TracerProvider>()));
        Assert.Equal(["AzureMonitorMetricExporter", "ConsoleMetricExporter", "OtlpMetricExporter"], Exporters(services.GetRequiredService<MeterProvider>()));
        Assert.Equal(["AzureMonitorLogExporter", "OtlpLogExporter"], Exporters(LoggerProviderOf(services)));
        Assert.True(configured);
    }

    [Theory]
    [InlineData(SettingNames.AppInsightsAuthenticationString, "Authorization=Key")]
    [InlineData(SettingNames.AppInsightsAuthenticationString, "ClientId=" + ClientId)]
    [InlineData(SettingNames.AppInsightsAuthenticationString, "Authorization=AAD;ClientId=not-a-guid")]
    [InlineData(SettingNames.AppInsightsAuthenticationString, "Authorization=AAD;Secret=x")]
    [InlineData(SettingNames.OtlpEndpoint, "collector:4317")]
    [InlineData(SettingNames.OtlpEndpoint, "ftp://collector")]
    public async Task A_malformed_telemetry_setting_fails_the_start_naming_it(string setting, string value)
    {
        using var services = Build(new()
        {
            [SettingNames.AppInsightsConnectionString] = ConnectionString,
            [setting] = value,
        });

        // The hosted services start in order, the check before the SDK's: the host stops at the check.
        var failure = await Assert.ThrowsAsync<GatewayConfigurationException>(async () =>
        {
            foreach (var hosted in services.GetServices<IHostedService>())
            {
                await hosted.StartAsync(CancellationToken.None);
            }
        });

        Assert.Equal(setting, failure.Setting);
        Assert.StartsWith($"Setting '{setting}' ", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(value, failure.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings, GatewayTelemetryOptions? options = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddGatewayTelemetry(configuration, options);
        return services.BuildServiceProvider();
    }

    private static LoggerProvider LoggerProviderOf(IServiceProvider services) => services.GetRequiredService<LoggerProvider>();

    private static List<string> Exporters(TracerProvider provider) => Exporters<System.Diagnostics.Activity>(provider);

    private static List<string> Exporters(MeterProvider provider) => Exporters<Metric>(provider);

    private static List<string> Exporters(LoggerProvider provider) => Exporters<LogRecord>(provider);

    /// <summary>
    /// The exporters of <typeparamref name="T"/> a provider built, by type name, sorted. (Azure Monitor's trace exporter
    /// brings a metric exporter of its own for the standard request and dependency metrics: not a metric exporter of ours.)
    /// </summary>
    private static List<string> Exporters<T>(object provider) where T : class
        => [.. Reachable(provider).Where(o => o is OpenTelemetry.BaseExporter<T>).Select(o => o.GetType().Name).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>Objects reachable from <paramref name="root"/> through the fields of OpenTelemetry and Azure types.</summary>
    private static List<object> Reachable(object root)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance) { root };
        var queue = new Queue<object>([root]);
        while (queue.Count > 0 && seen.Count < 20_000)
        {
            var current = queue.Dequeue();
            foreach (var next in Children(current))
            {
                if (seen.Add(next) && Followed(next.GetType()))
                {
                    queue.Enqueue(next);
                }
            }
        }

        return [.. seen];
    }

    private static IEnumerable<object> Children(object current)
    {
        if (current is System.Collections.IEnumerable items and not string)
        {
            foreach (var item in items)
            {
                if (item is not null)
                {
                    yield return item;
                }
            }
        }

        for (var type = current.GetType(); type is not null; type = type.BaseType)
        {
            foreach (var field in type.GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public
                | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.DeclaredOnly))
            {
                if (!field.FieldType.IsPrimitive && field.GetValue(current) is { } value and not string)
                {
                    yield return value;
                }
            }
        }
    }

    /// <summary>The SDK's and the Azure SDK's own types, and the arrays, collections and memory that hold them.</summary>
    private static bool Followed(Type type)
        => type.IsArray || (type.Namespace is { } ns && (ns.StartsWith("OpenTelemetry", StringComparison.Ordinal) || ns.StartsWith("Azure", StringComparison.Ordinal)
            || ns.StartsWith("System.ClientModel", StringComparison.Ordinal)
            || (type.IsGenericType && (ns.StartsWith("System.Collections", StringComparison.Ordinal) || type.Name.StartsWith("ReadOnlyMemory", StringComparison.Ordinal)))));
}
