using System.Text.Json;
using System.Text.RegularExpressions;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Storage;
using FunctionsGateway.Hosting;
using FunctionsGateway.Tests;

namespace FunctionsGateway.IntegrationTests.FunctionApp;

/// <summary>
/// Reads the <c>functions.metadata</c> the worker SDK generated for the built Function App: what the Functions host
/// (and <c>func start</c>) will index. The local host maps the same routes from the same constants.
/// </summary>
public sealed class FunctionsMetadataTests
{
    private static readonly string Root = RepoPaths.Root;

    [Fact]
    public void The_built_function_app_declares_every_function_route_trigger_and_setting()
    {
        var functions = LoadMetadata().ToDictionary(f => f.GetProperty("name").GetString()!);

        Assert.Equal(
            ["AdminPairingApprove", "AdminPairingList", "AdminPairingReject", "CloseConnectionFunction", "ConsoleFunction", "NegotiateFunction", "RunTimerFunction",
                "SignalRUpstreamFunction", "SpawnSubagentFunction", "SweepFunction"],
            functions.Keys.Order(StringComparer.Ordinal));

        AssertHttp(functions["NegotiateFunction"], GatewayRoutes.Negotiate, "post", "Anonymous");
        AssertHttp(functions["SignalRUpstreamFunction"], GatewayRoutes.Upstream, "post", "Anonymous");
        AssertHttp(functions["ConsoleFunction"], "console/{asset?}", "get", "Anonymous");
        AssertHttp(functions["AdminPairingList"], "admin/pairing", "get", "Function");
        AssertHttp(functions["AdminPairingApprove"], "admin/pairing/{requestId}/approve", "post", "Function");
        AssertHttp(functions["AdminPairingReject"], "admin/pairing/{requestId}/reject", "post", "Function");

        foreach (var (function, queueName) in new[]
        {
            ("CloseConnectionFunction", StorageNames.CloseQueue), ("SpawnSubagentFunction", StorageNames.SpawnQueue), ("RunTimerFunction", StorageNames.RunsQueue),
        })
        {
            var queue = Trigger(functions[function]);
            Assert.Equal("queueTrigger", queue.GetProperty("type").GetString());
            Assert.Equal(queueName, queue.GetProperty("queueName").GetString());
            Assert.Equal(SettingNames.Storage, queue.GetProperty("connection").GetString());
        }

        // The sweep's schedule is the app setting, read by the Functions host: each app can set its own.
        var timer = Trigger(functions["SweepFunction"]);
        Assert.Equal("timerTrigger", timer.GetProperty("type").GetString());
        Assert.Equal("%" + SettingNames.SweepSchedule + "%", timer.GetProperty("schedule").GetString());

        Assert.All(functions.Values, f => Assert.Equal("FunctionsGateway.dll", f.GetProperty("scriptFile").GetString()));
    }

    [Fact]
    public void The_host_json_in_the_build_output_is_the_repository_one()
    {
        var built = Path.Combine(Path.GetDirectoryName(MetadataPath())!, "host.json");
        Assert.Equal(File.ReadAllText(Path.Combine(Root, "host.json")), File.ReadAllText(built));
        using var host = JsonDocument.Parse(File.ReadAllText(built));
        Assert.Equal("api", host.RootElement.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
    }

    [Fact]
    public void Setting_table_and_queue_names_are_the_same_in_code_sample_settings_and_bicep()
    {
        using var sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "local.settings.sample.json")));
        var values = sample.RootElement.GetProperty("Values");
        foreach (var setting in new[] { SettingNames.Storage, SettingNames.SignalR, SettingNames.SharedToken, SettingNames.AdminKey, SettingNames.SweepSchedule })
        {
            Assert.True(values.TryGetProperty(setting, out _), $"local.settings.sample.json lacks {setting}");
        }

        var bicep = string.Join('\n', Directory.GetFiles(Path.Combine(Root, "infra"), "*.bicep", SearchOption.AllDirectories).Select(File.ReadAllText));
        foreach (var name in StorageNames.AllTables.Concat(StorageNames.AllQueues).Append(SettingNames.SharedToken).Append(SettingNames.SweepSchedule))
        {
            // A quoted string, or an app-setting key in an object literal.
            Assert.True(Regex.IsMatch(bicep, $"(['\"]{Regex.Escape(name)}['\"]|\\b{Regex.Escape(name)}\\s*:)"), $"infra/*.bicep does not name {name}");
        }

        // Bicep deploys identity-based storage and SignalR (tests/FunctionsGateway.Tests/Infra checks every app setting).
        Assert.Matches($"\\b{SettingNames.StorageAccountName}\\s*:", bicep);
        Assert.Matches($"\\b{SettingNames.SignalRServiceUri}\\s*:", bicep);
        Assert.Contains("signalr/upstream", bicep, StringComparison.Ordinal);
    }

    private static void AssertHttp(JsonElement function, string route, string method, string authLevel)
    {
        var trigger = Trigger(function);
        Assert.Equal("httpTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal(route, trigger.GetProperty("route").GetString());
        Assert.Equal([method], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(authLevel, trigger.GetProperty("authLevel").GetString());
    }

    private static JsonElement Trigger(JsonElement function)
        => function.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("direction").GetString() == "In");

    private static List<JsonElement> LoadMetadata()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(MetadataPath()));
        return [.. doc.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    private static string MetadataPath()
    {
        // The same configuration as this test assembly: bin/<Configuration>/net10.0.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var path = Path.Combine(Root, "src", "FunctionsGateway", "bin", configuration, "net10.0", "functions.metadata");
        Assert.True(File.Exists(path), $"build the Function App first: {path} is missing");
        return path;
    }
}
