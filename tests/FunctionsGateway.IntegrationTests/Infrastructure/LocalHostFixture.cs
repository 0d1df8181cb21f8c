using System.Net;
using System.Net.Sockets;
using FunctionsGateway.Client;
using FunctionsGateway.LocalHost;
using Microsoft.AspNetCore.Builder;

namespace FunctionsGateway.IntegrationTests.Infrastructure;

/// <summary>
/// The local host, in process, on a free loopback port, against Azurite: the same handlers, the same routes, its own
/// SignalR service endpoint. Tests reach it only over real sockets with real SignalR clients.
/// </summary>
public sealed class LocalHostFixture : IAsyncLifetime
{
    public const string AdminKey = "e2e-admin-key-0123456789";

    /// <summary>The local service's access key, fixed so tests can sign upstream requests of their own.</summary>
    public const string AccessKey = "e2e-local-signalr-access-key-0123456789";

    private WebApplication? app;

    public Uri BaseUrl { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var port = FreePort();
        BaseUrl = new Uri($"http://127.0.0.1:{port}");
        app = LocalGatewayApp.Build(["--urls", BaseUrl.ToString().TrimEnd('/')], new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = Azurite.ConnectionString,
            ["Gateway:SharedToken"] = GatewayHarness.SharedToken,
            ["Gateway:AdminKey"] = AdminKey,
            ["Gateway:LocalSignalRAccessKey"] = AccessKey,
            ["LocalHost:QueueRetrySeconds"] = "1",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        });
        await app.StartAsync();
    }

    public GatewayClientOptions Options(string identityPath, string[] scopes, bool messagePack = false, string role = "operator")
        => new()
        {
            GatewayUrl = BaseUrl,
            SharedToken = GatewayHarness.SharedToken,
            IdentityPath = identityPath,
            Scopes = scopes,
            Role = role,
            UseMessagePack = messagePack,
        };

    public GatewayAdminClient Admin() => new(BaseUrl, AdminKey);

    public static string NewIdentityPath() => Path.Combine(Path.GetTempPath(), "fg-e2e-" + Guid.NewGuid().ToString("N"), "identity.json");

    public async Task DisposeAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class LocalHostCollection : ICollectionFixture<LocalHostFixture>
{
    public const string Name = "local host";
}
