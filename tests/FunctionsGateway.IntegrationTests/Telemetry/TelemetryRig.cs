using System.Text.Json;
using FunctionsGateway.Client;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.LocalHost;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.IntegrationTests.Telemetry;

/// <summary>
/// A local host of its own on an Azurite of the test class (its queue pumps take no other test's spawn or close), with an
/// <see cref="UpstreamTap"/> in front of its upstream route (so the test sees the nonces and signatures on the wire),
/// and the gateway's telemetry exported in memory.
/// </summary>
public sealed class TelemetryRig : IAsyncDisposable
{
    public const string AdminKey = "telemetry-admin-key-0123456789";
    public const string AccessKey = "telemetry-local-signalr-access-key-0123456789";

    private readonly WebApplication app;
    private readonly UpstreamTap tap;
    private readonly List<string> identityPaths = [];

    private TelemetryRig(WebApplication app, UpstreamTap tap, Uri baseUrl, InMemoryTelemetry telemetry)
    {
        this.app = app;
        this.tap = tap;
        BaseUrl = baseUrl;
        Telemetry = telemetry;
    }

    public Uri BaseUrl { get; }

    public InMemoryTelemetry Telemetry { get; }

    public CapturingLoggerProvider Logs { get; } = new();

    /// <summary>The agent whose main session the tests spawn from.</summary>
    public string AgentId { get; } = "otel" + Guid.NewGuid().ToString("N")[..12];

    public static async Task<TelemetryRig> StartAsync(PrivateAzurite storage)
    {
        // Listening before the host starts, as an SDK registered in the host would.
        var telemetry = new InMemoryTelemetry();
        var baseUrl = new Uri($"http://127.0.0.1:{LocalHostFixture.FreePort()}");
        var tap = await UpstreamTap.StartAsync(new Uri(baseUrl, "/api/signalr/upstream"));
        var app = LocalGatewayApp.Build(["--urls", baseUrl.ToString().TrimEnd('/')], new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = storage.ConnectionString,
            ["Gateway:SharedToken"] = GatewayHarness.SharedToken,
            ["Gateway:AdminKey"] = AdminKey,
            ["Gateway:LocalSignalRAccessKey"] = AccessKey,
            ["LocalHost:UpstreamUrl"] = tap.Url.ToString(),
            ["LocalHost:QueueRetrySeconds"] = "1",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        var rig = new TelemetryRig(app, tap, baseUrl, telemetry);
        app.Services.GetRequiredService<ILoggerFactory>().AddProvider(rig.Logs);
        await app.StartAsync();
        return rig;
    }

    public GatewayClientOptions Options(string[] scopes)
    {
        var path = LocalHostFixture.NewIdentityPath();
        identityPaths.Add(path);
        return new() { GatewayUrl = BaseUrl, SharedToken = GatewayHarness.SharedToken, IdentityPath = path, Scopes = scopes };
    }

    public GatewayAdminClient Admin() => new(BaseUrl, AdminKey);

    /// <summary>A device paired through the real flow: pairing required, approved with the admin key, connected again.</summary>
    public async Task<GatewayClient> PairedAsync(string[] scopes)
    {
        var options = Options(scopes);
        var pending = await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(options));
        using (var admin = Admin())
        {
            await admin.ApproveAsync(pending.RequestId);
        }

        return await GatewayClient.ConnectAsync(options);
    }

    /// <summary>
    /// What must never reach telemetry: the shared token, the service access key, the admin key, every string of each
    /// device's identity file (its private seed and device tokens), and every nonce, signature and token on the wire.
    /// </summary>
    public IReadOnlyList<(string Kind, string Value)> Secrets()
    {
        var secrets = new List<(string Kind, string Value)> { ("shared token", GatewayHarness.SharedToken), ("access key", AccessKey), ("admin key", AdminKey) };
        foreach (var path in identityPaths.Where(File.Exists))
        {
            using var identity = JsonDocument.Parse(File.ReadAllBytes(path));
            secrets.AddRange(Strings(identity.RootElement, _ => true).Select(s => ("identity file " + s.Name, s.Value)));
        }

        foreach (var (request, answer) in tap.Exchanges)
        {
            foreach (var body in new[] { request, answer })
            {
                secrets.AddRange(WireSecrets(body));
            }
        }

        return [.. secrets.Where(s => s.Value.Length >= 16).Distinct()];
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        await tap.DisposeAsync();
        Telemetry.Dispose();
        Logs.AssertNoUnexpectedErrors();
    }

    private static List<(string Name, string Value)> WireSecrets(byte[] body)
    {
        // JSON hub messages end with the record separator; anything else (a MessagePack frame) is not this test's.
        var text = body.AsSpan().TrimEnd((byte)0x1e);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text.ToArray());
        }
        catch (JsonException)
        {
            return [];
        }

        using (document)
        {
            return Strings(document.RootElement, name => name is "nonce" or "signature" or "token" or "deviceToken");
        }
    }

    private static List<(string Name, string Value)> Strings(JsonElement element, Func<string, bool> named, string? name = null)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                return [.. element.EnumerateObject().SelectMany(p => Strings(p.Value, named, p.Name))];
            case JsonValueKind.Array:
                return [.. element.EnumerateArray().SelectMany(e => Strings(e, named, name))];
            case JsonValueKind.String when name is not null && named(name):
                return [(name, element.GetString()!)];
            default:
                return [];
        }
    }
}

/// <summary>One Azurite for the telemetry tests: each test's host and devices are its own, the storage is shared.</summary>
public sealed class TelemetryStorage : IAsyncLifetime
{
    public PrivateAzurite Azurite { get; private set; } = null!;

    public async Task InitializeAsync() => Azurite = await PrivateAzurite.StartAsync();

    public async Task DisposeAsync() => await Azurite.DisposeAsync();
}
