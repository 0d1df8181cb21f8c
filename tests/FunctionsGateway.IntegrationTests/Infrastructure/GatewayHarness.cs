using System.Text.Json;
using Azure.Data.Tables;
using FunctionsGateway.Client;
using FunctionsGateway.Core;
using FunctionsGateway.Core.Audit;
using FunctionsGateway.Core.Dispatch;
using FunctionsGateway.Core.Events;
using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Methods;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Storage;
using FunctionsGateway.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.IntegrationTests.Infrastructure;

/// <summary>
/// The security core wired as the Function App wires it, against Azurite. Calls go through the dispatcher in the
/// same shape the SignalR upstream uses: a connection id and a {method, params} request.
/// </summary>
public sealed class GatewayHarness : IAsyncDisposable
{
    public const string SharedToken = "integration-shared-token-0123456789";

    private readonly ServiceProvider provider;

    public GatewayHarness(Action<IServiceCollection>? configure = null, IDictionary<string, string?>? settings = null)
    {
        Time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = Azurite.ConnectionString,
            ["Gateway:SharedToken"] = SharedToken,

            // Every test process shares this Azurite, and the pending-request caps and the announcement budget are
            // gateway-wide (one ledger row): at their defaults, tests running at once would spend each other's.
            ["Gateway:Pairing:MaxPending"] = "2000",
            ["Gateway:Pairing:MaxRequestedEventsPerMinute"] = "10000",
        }).AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(Logs).SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Trace));
        services.AddSingleton<TimeProvider>(Time);
        services.AddSingleton<IGatewayNotifier>(Notifier);
        services.AddGatewayCore(configuration);
        var tableOptions = new TableClientOptions();
        tableOptions.AddPolicy(StorageRequests, Azure.Core.HttpPipelinePosition.PerCall);
        services.AddSingleton(new GatewayTables(new TableServiceClient(Azurite.ConnectionString, tableOptions)));
        services.AddGatewayStorage(configuration);
        configure?.Invoke(services);
        provider = services.BuildServiceProvider();
    }

    public ManualTimeProvider Time { get; }
    public RecordingNotifier Notifier { get; } = new();
    public StorageRequestCounter StorageRequests { get; } = new();
    public CapturingLoggerProvider Logs { get; } = new();
    public GatewayDispatcher Dispatcher => provider.GetRequiredService<GatewayDispatcher>();
    public PairingRequests Requests => provider.GetRequiredService<PairingRequests>();
    public PairingDecisions Pairing => provider.GetRequiredService<PairingDecisions>();
    public DeviceTokenService Tokens => provider.GetRequiredService<DeviceTokenService>();
    public DeviceRemoval Removal => provider.GetRequiredService<DeviceRemoval>();
    public IDeviceStore Devices => provider.GetRequiredService<IDeviceStore>();
    public GatewayTables Tables => provider.GetRequiredService<GatewayTables>();
    public AuditLog Audit => provider.GetRequiredService<AuditLog>();

    /// <summary>A harness; <paramref name="configure"/> may replace services (last registration wins).</summary>
    public static async Task<GatewayHarness> StartAsync(Action<IServiceCollection>? configure = null, IDictionary<string, string?>? settings = null)
    {
        var harness = new GatewayHarness(configure, settings);
        await harness.Tables.EnsureCreatedAsync();
        return harness;
    }

    public T Get<T>() where T : notnull => provider.GetRequiredService<T>();

    public static string NewConnectionId() => "conn-" + Guid.NewGuid().ToString("N");

    public async Task<DispatchResult> CallAsync(string connectionId, string method, object? parameters = null, CallOrigin origin = CallOrigin.Network)
    {
        var element = parameters is null ? default : JsonSerializer.SerializeToElement(parameters, GatewayJson.Options);
        return await Dispatcher.DispatchAsync(new CallContext(connectionId, origin), new GatewayRequest(method, element), CancellationToken.None);
    }

    public async Task<string> ChallengeAsync(string connectionId, CallOrigin origin = CallOrigin.Network)
    {
        var result = await CallAsync(connectionId, GatewayMethods.ConnectChallenge, null, origin);
        Assert.True(result.Response.Ok, Describe(result.Response));
        return Json(result.Response.Payload).GetProperty("nonce").GetString()!;
    }

    /// <summary>Challenge then signed connect on a fresh connection; the caller can tamper with the params first.</summary>
    public async Task<Attempt> ConnectAsync(
        DeviceKey key,
        string[] scopes,
        string role = GatewayRoles.Operator,
        ConnectAuth? auth = null,
        CallOrigin origin = CallOrigin.Network,
        string platform = "linux",
        string? deviceFamily = null,
        Func<ConnectParams, ConnectParams>? tamper = null,
        string? connectionId = null)
    {
        connectionId ??= NewConnectionId();
        var nonce = await ChallengeAsync(connectionId, origin);
        var p = ConnectRequest.Build(key, Client(platform, deviceFamily), role, scopes, nonce,
            auth ?? new ConnectAuth { Token = SharedToken }, Time.GetUtcNow());
        if (tamper is not null)
        {
            p = tamper(p);
        }

        var result = await CallAsync(connectionId, GatewayMethods.Connect, p, origin);
        return new Attempt(connectionId, result, p);
    }

    /// <summary>Pairs a device through the real flow: a pending request approved by the admin API.</summary>
    public async Task<Attempt> PairAsync(DeviceKey key, string[] scopes, string role = GatewayRoles.Operator)
    {
        var first = await ConnectAsync(key, scopes, role);
        Assert.False(first.Result.Response.Ok);
        var approved = await Pairing.ApproveAsync(first.RequestId, PairingActor.AdminApi, CancellationToken.None);
        Assert.True(approved.Ok, Describe(approved));
        var second = await ConnectAsync(key, scopes, role);
        Assert.True(second.Result.Response.Ok, Describe(second.Result.Response));
        return second;
    }

    /// <summary>Every stored row of a device's partition, as raw table entities, to check what is (not) stored.</summary>
    public async Task<IReadOnlyList<TableEntity>> DeviceRowsAsync(string deviceId)
    {
        var rows = new List<TableEntity>();
        await foreach (var row in Tables.Devices.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {deviceId}")))
        {
            rows.Add(row);
        }

        return rows;
    }

    public async Task<IReadOnlyList<AuditEntry>> AuditForAsync(string deviceId)
        => await Audit.ListAsync(500, deviceId, 2, CancellationToken.None);

    public static ClientInfo Client(string platform = "linux", string? deviceFamily = null)
        => new() { Id = "cli", Version = "1.0.0", Platform = platform, DeviceFamily = deviceFamily, Mode = "cli" };

    public static JsonElement Json(object? value) => JsonSerializer.SerializeToElement(value, GatewayJson.Options);

    public static string Describe(GatewayResponse response) => JsonSerializer.Serialize(response, GatewayJson.Options);

    /// <summary>
    /// Disposes the services, then fails the test if the gateway logged an Error/Critical line the test did not
    /// declare with <c>Logs.Expect</c> (or <c>Logs.Allow</c>). With <c>await using</c> this failure replaces one the
    /// test body threw; the lines it lists are then usually that failure's cause.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await provider.DisposeAsync();
        Logs.AssertNoUnexpectedErrors();
    }
}

public sealed record Attempt(string ConnectionId, DispatchResult Result, ConnectParams Params)
{
    public GatewayResponse Response => Result.Response;

    public JsonElement Error => GatewayHarness.Json(Response.Error);

    public string? DetailCode => Error.TryGetProperty("details", out var d) && d.TryGetProperty("code", out var c) ? c.GetString() : null;

    public string RequestId => Error.GetProperty("details").GetProperty("requestId").GetString()!;

    public JsonElement Payload => GatewayHarness.Json(Response.Payload);

    public string? DeviceToken => Payload.GetProperty("auth").TryGetProperty("deviceToken", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
}
