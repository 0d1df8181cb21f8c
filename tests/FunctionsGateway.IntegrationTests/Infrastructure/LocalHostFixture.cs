using System.Net;
using System.Net.Sockets;
using FunctionsGateway.Client;
using FunctionsGateway.LocalHost;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.IntegrationTests.Infrastructure;

/// <summary>
/// The local host, in process, on a free loopback port, against Azurite: the same handlers, the same routes, its own
/// SignalR service endpoint. Tests reach it only over real sockets with real SignalR clients.
/// Its log lines (Warning and up, as configured) go to <see cref="Logs"/>; every test class of the collection opens a
/// check with <see cref="CheckErrorLogs"/> when xunit creates it and asserts it in Dispose, so an Error/Critical line
/// the test did not declare fails that test.
/// </summary>
public sealed class LocalHostFixture : IAsyncLifetime
{
    public const string AdminKey = "e2e-admin-key-0123456789";

    /// <summary>The local service's access key, fixed so tests can sign upstream requests of their own.</summary>
    public const string AccessKey = "e2e-local-signalr-access-key-0123456789";

    private WebApplication? app;

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Every line the local host (and any app handed to <see cref="CaptureLogsOf"/>) logged, across all tests.</summary>
    public CapturingLoggerProvider Logs { get; } = new();

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

            // Gateway-wide caps live in this shared Azurite: at their defaults, concurrent test processes would spend each other's.
            ["Gateway:Pairing:MaxPending"] = "2000",
            ["Gateway:Pairing:MaxRequestedEventsPerMinute"] = "10000",

            // Workers registered by an earlier run against the same Azurite are gone; a pool of its own never offers to them.
            ["Gateway:Runs:WorkerPool"] = "e2e" + Guid.NewGuid().ToString("N")[..12],
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        });
        // LocalGatewayApp.Build takes logging only as configuration; a provider added to the built app's factory also
        // reaches the loggers created before it (LoggerFactory.AddProvider updates them) and obeys the Logging:LogLevel rules.
        app.Services.GetRequiredService<ILoggerFactory>().AddProvider(Logs);
        await app.StartAsync();
    }

    /// <summary>
    /// The check of one test: the lines logged from now until <see cref="ErrorLogCheck.AssertNoUnexpectedErrors"/>.
    /// Tests of the collection run one at a time, so that window is this test's (a late line of the previous test's
    /// background work is the exception).
    /// </summary>
    public ErrorLogCheck CheckErrorLogs() => Logs.StartCheck("by the local host during this test");

    /// <summary>Sends the log lines of an app a test starts itself to <see cref="Logs"/>, categories prefixed with "<paramref name="tag"/>/".</summary>
    public void CaptureLogsOf(WebApplication other, string tag)
        => other.Services.GetRequiredService<ILoggerFactory>().AddProvider(Logs.Tagged(tag));

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
