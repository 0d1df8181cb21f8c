using System.Security.Cryptography;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Hosting;
using FunctionsGateway.LocalHost.ServiceEmulation;
using FunctionsGateway.Storage;

namespace FunctionsGateway.LocalHost;

/// <summary>
/// Runs the Function App's handlers without Core Tools: the same routes under <c>/api</c>, a queue pump for every
/// registered queue handler, and (unless <c>AzureSignalRConnectionString</c> names another service) a local SignalR service.
/// </summary>
public static class LocalGatewayApp
{
    public const string DefaultUrl = "http://127.0.0.1:7071";
    public const string AdminKeyHeader = "x-functions-key";
    public const int MinAdminKeyLength = 16;

    /// <summary>When true, the host counts its table and queue operations and answers them at <see cref="StorageOperationsRoute"/>.</summary>
    public const string CountStorageSetting = "LocalHost:CountStorage";

    /// <summary>
    /// <c>GET</c> → <c>{"tables": n, "queues": n}</c>, the operations since start (the load tool reads it before and after
    /// its measured window). Outside <c>/api</c>: no Function App has it, and it is mapped only with <see cref="CountStorageSetting"/>.
    /// </summary>
    public const string StorageOperationsRoute = "/_local/storage-operations";

    public static WebApplication Build(string[] args, IDictionary<string, string?>? overrides = null)
    {
        var arguments = LocalHostArguments.Parse(args);
        var builder = WebApplication.CreateBuilder(arguments.Configuration);
        var settingsPath = builder.Configuration["settings"] ?? "local.settings.json";
        if (File.Exists(settingsPath))
        {
            // Lowest precedence: environment variables and the command line still win, as with func start.
            builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = LocalSettings.Load(settingsPath) });
        }

        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        var url = (builder.Configuration["urls"] ?? DefaultUrl).Split(';', StringSplitOptions.RemoveEmptyEntries)[0].TrimEnd('/');
        builder.WebHost.UseUrls(url);
        // Either convention names another service: the connection string, or (Entra ID) the service URI.
        var selfHosted = string.IsNullOrWhiteSpace(builder.Configuration[SettingNames.SignalR])
            && string.IsNullOrWhiteSpace(builder.Configuration[SettingNames.ConfigKey(SettingNames.SignalRServiceUri)]);
        var localKey = builder.Configuration["Gateway:LocalSignalRAccessKey"] ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        if (selfHosted)
        {
            var uri = new Uri(url);
            builder.Configuration[SettingNames.SignalR] = $"Endpoint={uri.Scheme}://{uri.Host};Port={uri.Port};AccessKey={localKey};Version=1.0;";
        }

        var countStorage = builder.Configuration.GetValue<bool>(CountStorageSetting);
        if (countStorage)
        {
            builder.Services.AddSingleton<StorageOperationCount>();
        }

        builder.Services.AddGateway(builder.Configuration, new GatewayTelemetryOptions { Console = arguments.OtelConsole });
        builder.Services.AddConnections();
        builder.Services.AddSingleton<LocalSignalRService>();
        builder.Services.AddHttpClient(nameof(UpstreamForwarder))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2) });
        // Like the service's upstream UrlTemplate: by default this app, or another one (the local service alone).
        // This app's own upstream is called in process; another app's over HTTP.
        var otherUpstream = builder.Configuration["LocalHost:UpstreamUrl"];
        var upstreamUrl = otherUpstream ?? $"{url}/{GatewayRoutes.Prefix}/{GatewayRoutes.Upstream}";
        builder.Services.AddSingleton(sp => new UpstreamForwarder(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(UpstreamForwarder)),
            new Uri(upstreamUrl),
            localKey,
            otherUpstream is null ? InProcess(sp) : null));
        builder.Services.AddHostedService<QueuePumps>();
        builder.Services.AddHostedService<SweepTimer>();

        var app = builder.Build();
        if (selfHosted)
        {
            app.UseWebSockets();
            app.MapLocalSignalRService();
        }

        var adminKey = builder.Configuration[SettingNames.ConfigKey(SettingNames.AdminKey)];
        if (adminKey is { Length: < MinAdminKeyLength })
        {
            app.Logger.LogWarning("{Setting} is shorter than {Length} characters; the admin API stays off", SettingNames.AdminKey, MinAdminKeyLength);
            adminKey = null;
        }

        MapFunctions(app, adminKey);
        if (countStorage)
        {
            app.MapGet(StorageOperationsRoute, (StorageOperationCount count) => Results.Json(new { tables = count.Tables, queues = count.Queues }));
        }

        return app;
    }

    /// <summary>
    /// Each upstream call is a trace of its own, as in Azure, where the service's request starts one. Here the request's
    /// ASP.NET Core activity (kept for logging, never exported, and chained to the client's socket by the local service)
    /// would otherwise be its parent, so the gateway's spans of one call would join every other call of that socket.
    /// </summary>
    private static async Task<HttpReply> UpstreamAsync(UpstreamEndpoint handler, HttpRequest request, CancellationToken cancellationToken)
    {
        System.Diagnostics.Activity.Current = null;
        return await handler.HandleAsync(request, cancellationToken);
    }

    private static UpstreamForwarder.InProcessHandler InProcess(IServiceProvider services)
    {
        // Resolved at the first message, not when the forwarder is made: a bad setting still fails at start as that setting.
        var handler = new Lazy<UpstreamEndpoint>(services.GetRequiredService<UpstreamEndpoint>);
        return (request, cancellationToken) =>
        {
            request.HttpContext.RequestServices = services;
            return handler.Value.HandleAsync(request, cancellationToken);
        };
    }

    /// <summary>The Function App's HTTP functions at the same routes, over the same handlers.</summary>
    private static void MapFunctions(WebApplication app, string? adminKey)
    {
        var api = app.MapGroup("/" + GatewayRoutes.Prefix);
        api.MapPost(GatewayRoutes.Negotiate, (HttpRequest request, NegotiateEndpoint handler, CancellationToken ct) => handler.HandleAsync(request, ct));
        api.MapPost(GatewayRoutes.Upstream, (HttpRequest request, UpstreamEndpoint handler, CancellationToken ct) => UpstreamAsync(handler, request, ct));
        api.MapGet(GatewayRoutes.ConsoleAsset, (HttpRequest request, string? asset, ConsoleEndpoint handler) => handler.Handle(request, asset));

        var admin = api.MapGroup(string.Empty).AddEndpointFilter(async (context, next) =>
        {
            // Unlike Core Tools, keys are checked locally too; without a configured key the admin API stays off.
            if (string.IsNullOrEmpty(adminKey))
            {
                return Results.Text("admin API disabled: set Gateway__AdminKey (at least 16 characters) to enable it", statusCode: 503);
            }

            var request = context.HttpContext.Request;
            var presented = request.Headers[AdminKeyHeader].ToString() is { Length: > 0 } header ? header : request.Query["code"].ToString();
            return DeviceTokens.SecretEquals(presented, adminKey)
                ? await next(context)
                : Results.Text("a valid function key is required (x-functions-key header or code query)", statusCode: 401);
        });
        // The same guarded routes as the Function App's: a storage stall answers 503 JSON within the deadline.
        admin.MapGet(GatewayRoutes.AdminPairingList, (HttpRequest request, AdminPairingApi handler, CancellationToken ct) => handler.ListAsync(request, ct));
        admin.MapPost(GatewayRoutes.AdminPairingApprove, (string requestId, AdminPairingApi handler, CancellationToken ct) => handler.ApproveAsync(requestId, ct));
        admin.MapPost(GatewayRoutes.AdminPairingReject, (string requestId, AdminPairingApi handler, CancellationToken ct) => handler.RejectAsync(requestId, ct));
    }
}
