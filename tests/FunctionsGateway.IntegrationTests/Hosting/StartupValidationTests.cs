using System.Text.RegularExpressions;
using FunctionsGateway.Core.Maintenance;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Core.Resilience;
using FunctionsGateway.Hosting;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.LocalHost;
using FunctionsGateway.SignalR.Serverless;
using FunctionsGateway.Tests;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.IntegrationTests.Hosting;

/// <summary>
/// Each host, started with one bad or missing setting, fails in <c>StartAsync</c> (not at <c>Build</c>, not at the first
/// request) with an exception that names the setting as users write it.
/// <para>
/// The local host is the real one (<see cref="LocalGatewayApp.Build"/>). The Function App cannot be started here: its
/// worker (<c>ConfigureFunctionsWebApplication</c>) needs the Functions host at the other end of its gRPC channel. So a
/// generic host with the Function App's service registrations (<c>src/FunctionsGateway/Program.cs</c>: only
/// <see cref="GatewayServiceCollectionExtensions.AddGateway"/>) stands in for it: the worker is a generic host too, and
/// options validation and hosted services start there the same way. A test below keeps the stand-in in step with
/// Program.cs.
/// </para>
/// Cases with good storage settings may get as far as creating the tables and queues, so Azurite must be running.
/// </summary>
public sealed class StartupValidationTests
{
    public enum HostKind
    {
        LocalHost,
        FunctionApp,
    }

    private const string SharedToken = "startup-validation-shared-token-0123";

    /// <summary>Far above a failing start; only a hang would reach it.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The gateway's own settings (the <c>Gateway</c> section), each bad in one way; <c>null</c> is missing.</summary>
    public static TheoryData<HostKind, string, string?> BadGatewaySettings()
    {
        var data = new TheoryData<HostKind, string, string?>();
        foreach (var host in Enum.GetValues<HostKind>())
        {
            data.Add(host, SettingNames.SharedToken, null);
            data.Add(host, SettingNames.SharedToken, "   ");
            data.Add(host, SettingNames.SharedToken, "too-short");
            data.Add(host, SettingNames.MaxPayloadBytes, "100");
            data.Add(host, SettingNames.MaxPayloadBytes, "0");
            data.Add(host, SettingNames.MaxPayloadBytes, "2000000");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BadGatewaySettings))]
    public async Task A_bad_gateway_setting_fails_options_validation_at_start_naming_it(HostKind host, string setting, string? value)
    {
        var failure = await StartFailure(host, setting, value);

        var validation = Assert.IsType<OptionsValidationException>(failure);
        Assert.Equal(typeof(GatewayOptions), validation.OptionsType);
        Assert.Contains($"Setting '{setting}'", validation.Message, StringComparison.Ordinal);
        Assert.Single(validation.Failures);
    }

    [Theory]
    [InlineData(HostKind.LocalHost)]
    [InlineData(HostKind.FunctionApp)]
    public async Task A_max_payload_that_is_not_a_number_fails_at_start_naming_its_key(HostKind host)
    {
        var failure = await StartFailure(host, SettingNames.MaxPayloadBytes, "64k");

        // The configuration binder fails before the validator sees a value, and names the key in its own form.
        Assert.IsType<InvalidOperationException>(failure);
        Assert.Contains($"'{SettingNames.ConfigKey(SettingNames.MaxPayloadBytes)}'", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HostKind.LocalHost, "00:00:00")]
    [InlineData(HostKind.FunctionApp, "00:10:00")]
    public async Task A_storage_deadline_out_of_range_fails_at_start_naming_it(HostKind host, string value)
    {
        var failure = await StartFailure(host, SettingNames.StorageDeadline, value);

        var validation = Assert.IsType<OptionsValidationException>(failure);
        Assert.Equal(typeof(StorageDeadlineOptions), validation.OptionsType);
        Assert.Contains($"Setting '{SettingNames.StorageDeadline}'", validation.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HostKind.LocalHost, null)]
    [InlineData(HostKind.LocalHost, "")]
    [InlineData(HostKind.FunctionApp, null)]
    [InlineData(HostKind.FunctionApp, " ")]
    public async Task Missing_storage_fails_at_start_naming_AzureWebJobsStorage(HostKind host, string? value)
    {
        var failure = await StartFailure(host, SettingNames.Storage, value);

        var configuration = Assert.IsType<GatewayConfigurationException>(failure);
        Assert.Equal(SettingNames.Storage, configuration.Setting);
        Assert.Contains($"Setting '{SettingNames.Storage}'", configuration.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HostKind.LocalHost, SettingNames.Storage, "not a connection string")]
    [InlineData(HostKind.LocalHost, SettingNames.Storage, "UseDevelopmentStorage=maybe")]
    [InlineData(HostKind.FunctionApp, SettingNames.Storage, "not a connection string")]
    [InlineData(HostKind.FunctionApp, SettingNames.Storage, "AccountName=devstoreaccount1;AccountKey=do-not-print-me")]
    [InlineData(HostKind.LocalHost, SettingNames.Storage + "__accountName", "not an account name")]
    [InlineData(HostKind.FunctionApp, SettingNames.Storage + "__accountName", "not an account name")]
    public async Task Malformed_storage_fails_at_start_naming_AzureWebJobsStorage(HostKind host, string setting, string value)
    {
        var settings = new Dictionary<string, string?> { [SettingNames.ConfigKey(setting)] = value };
        if (setting != SettingNames.Storage)
        {
            // Identity-based: no connection string, only the account.
            settings[SettingNames.Storage] = null;
        }

        var failure = await StartFailure(host, settings);

        var configuration = Assert.IsType<GatewayConfigurationException>(failure);
        Assert.Equal(SettingNames.Storage, configuration.Setting);
        Assert.Contains($"Setting '{SettingNames.Storage}'", configuration.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(value, configuration.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("do-not-print-me", configuration.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HostKind.LocalHost, "not a connection string")]
    [InlineData(HostKind.LocalHost, "Endpoint=not-a-url;AccessKey=do-not-print-me;Version=1.0;")]
    [InlineData(HostKind.FunctionApp, "not a connection string")]
    [InlineData(HostKind.FunctionApp, "Endpoint=not-a-url;AccessKey=do-not-print-me;Version=1.0;")]
    public async Task A_malformed_SignalR_connection_string_fails_at_start_naming_it(HostKind host, string value)
    {
        var failure = await StartFailure(host, SettingNames.SignalR, value);

        var configuration = Assert.IsType<GatewayConfigurationException>(failure);
        Assert.Equal(SettingNames.SignalR, configuration.Setting);
        Assert.Contains($"Setting '{SettingNames.SignalR}'", configuration.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(value, configuration.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("do-not-print-me", configuration.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HostKind.LocalHost, "every five minutes")]
    [InlineData(HostKind.LocalHost, "*/5 * * * *")]
    [InlineData(HostKind.FunctionApp, "0 */5 * * * * *")]
    public async Task A_sweep_schedule_that_is_not_a_six_field_cron_fails_at_start_naming_it(HostKind host, string value)
    {
        var failure = await StartFailure(host, SettingNames.SweepSchedule, value);

        var configuration = Assert.IsType<GatewayConfigurationException>(failure);
        Assert.Equal(SettingNames.SweepSchedule, configuration.Setting);
        Assert.Contains($"Setting '{SettingNames.SweepSchedule}'", configuration.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HostKind.LocalHost, "Gateway__Sweep__GracePeriod", "00:00:00")]
    [InlineData(HostKind.FunctionApp, "Gateway__Sweep__Budget", "0")]
    [InlineData(HostKind.FunctionApp, "Gateway__Sweep__StepTimeout", "01:00:00")]
    public async Task A_bad_sweep_setting_fails_options_validation_at_start_naming_it(HostKind host, string setting, string value)
    {
        var failure = await StartFailure(host, setting, value);

        var validation = Assert.IsType<OptionsValidationException>(failure);
        Assert.Equal(typeof(SweepOptions), validation.OptionsType);
        Assert.Contains($"Setting '{setting}'", validation.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HostKind.LocalHost, SettingNames.AppInsightsAuthenticationString, "Authorization=AAD;ClientId=do-not-print-me")]
    [InlineData(HostKind.FunctionApp, SettingNames.AppInsightsAuthenticationString, "Authorization=Key")]
    [InlineData(HostKind.LocalHost, SettingNames.OtlpEndpoint, "collector:4317")]
    [InlineData(HostKind.FunctionApp, SettingNames.OtlpEndpoint, "not a url")]
    public async Task A_malformed_telemetry_setting_fails_at_start_naming_it(HostKind host, string setting, string value)
    {
        var failure = await StartFailure(host, new Dictionary<string, string?>
        {
            [SettingNames.AppInsightsConnectionString] = "InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=http://127.0.0.1:9/",
            [setting] = value,
        });

        var configuration = Assert.IsType<GatewayConfigurationException>(failure);
        Assert.Equal(setting, configuration.Setting);
        Assert.Contains($"Setting '{setting}'", configuration.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(value, configuration.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Endpoint=https://gateway.service.signalr.net;AuthType=azure.app;ClientId=app;Version=1.0;")]
    [InlineData("Endpoint=http://gateway.service.signalr.net;AuthType=azure.msi;Version=1.0;")]
    public async Task The_function_app_without_a_usable_SignalR_connection_string_fails_at_start_naming_it(string? value)
    {
        // The local host serves its own SignalR endpoint when the setting is missing; the Function App cannot.
        var failure = await StartFailure(HostKind.FunctionApp, SettingNames.SignalR, value);

        var configuration = Assert.IsType<GatewayConfigurationException>(failure);
        Assert.Equal(SettingNames.SignalR, configuration.Setting);
    }

    [Fact]
    public async Task The_function_app_stand_in_starts_with_good_settings()
    {
        // The control for the cases above: only the one bad setting makes them fail. (The local host's control is every
        // test in the local host collection; starting a second one here would share its close queue.)
        using var host = BuildFunctionAppStandIn(GoodSettings(HostKind.FunctionApp));
        using var timeout = new CancellationTokenSource(StartTimeout);
        await host.StartAsync(timeout.Token);
        await host.StopAsync(timeout.Token);
    }

    [Fact]
    public void The_function_app_stand_in_registers_what_Program_cs_registers()
    {
        var program = File.ReadAllText(Path.Combine(RepoPaths.Root, "src", "FunctionsGateway", "Program.cs"));

        // The stand-in leaves out only the Functions worker's telemetry defaults: a resource and the worker's own source.
        Assert.Contains("builder.Services.AddGateway(builder.Configuration, new GatewayTelemetryOptions { Configure = telemetry => telemetry.UseFunctionsWorkerDefaults() });",
            program, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(program, @"\bbuilder\.Services\b"));
    }

    /// <summary>Starts the host with good settings but one (<c>null</c>: missing), and returns what start threw.</summary>
    private static Task<Exception> StartFailure(HostKind kind, string setting, string? value)
        => StartFailure(kind, new Dictionary<string, string?> { [SettingNames.ConfigKey(setting)] = value });

    /// <summary>
    /// Builds the host with good settings but these (building must not fail: nothing is checked yet), starts it, and
    /// returns what start threw.
    /// </summary>
    private static async Task<Exception> StartFailure(HostKind kind, Dictionary<string, string?> badSettings)
    {
        var settings = GoodSettings(kind);
        foreach (var (key, value) in badSettings)
        {
            settings[key] = value;
        }

        var host = kind == HostKind.LocalHost ? BuildLocalHost(settings) : BuildFunctionAppStandIn(settings);
        try
        {
            using var timeout = new CancellationTokenSource(StartTimeout);
            var failure = await Record.ExceptionAsync(() => host.StartAsync(timeout.Token));
            Assert.NotNull(failure);
            Assert.IsNotType<OperationCanceledException>(failure);
            return failure;
        }
        finally
        {
            // Not StopAsync: after a failed start the generic host stops nothing itself, and its StopAsync throws when the
            // failure came while resolving the hosted services. What can have started before a failure here (the storage
            // and transport checks) has nothing to stop; the listener and the queue pumps come later. Disposing releases
            // everything the host built.
            if (host is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync();
            }
            else
            {
                host.Dispose();
            }
        }
    }

    private static Dictionary<string, string?> GoodSettings(HostKind kind)
    {
        var settings = new Dictionary<string, string?>
        {
            [SettingNames.Storage] = Azurite.ConnectionString,
            [SettingNames.ConfigKey(SettingNames.SharedToken)] = SharedToken,
            ["Logging:LogLevel:Default"] = "Critical",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Critical",
        };
        if (kind == HostKind.FunctionApp)
        {
            // The local host serves its own SignalR endpoint when none is named; the Function App needs one.
            settings[SettingNames.SignalR] = SignalRConnectionString.Emulator;
        }

        return settings;
    }

    private static WebApplication BuildLocalHost(Dictionary<string, string?> settings)
        => LocalGatewayApp.Build(
            [
                "--urls", $"http://127.0.0.1:{LocalHostFixture.FreePort()}",
                // No local.settings.json from the working directory can fill in a setting a test leaves out.
                "--settings", Path.Combine(Path.GetTempPath(), "fg-no-settings-" + Guid.NewGuid().ToString("N") + ".json"),
            ],
            settings);

    /// <summary>The Function App's Program.cs on a generic host, without the worker's connection to the Functions host.</summary>
    private static IHost BuildFunctionAppStandIn(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddGateway(builder.Configuration);
        return builder.Build();
    }
}
