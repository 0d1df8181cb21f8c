using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using FunctionsGateway.Client;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.LocalHost;
using FunctionsGateway.Protocol;
using FunctionsGateway.SignalR.Serverless;
using FunctionsGateway.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.IntegrationTests.Fuzz;

/// <summary>One upstream POST as the fuzz sends it: every header optional, values exactly as given.</summary>
public sealed record UpstreamPost(byte[] Body, string? ContentType, IReadOnlyList<KeyValuePair<string, string>> Headers, bool Chunked = false);

public sealed record UpstreamAnswer(int Status, string? ContentType, byte[] Body);

/// <summary>
/// The local host with its own SignalR service, in process on a free port, against an Azurite of its own (so whole
/// tables can be compared), with a paired device set up before the fuzz. Every response status the app writes is
/// recorded, so a 5xx the client never saw (an upstream call made by the local service) still fails the fuzz.
/// </summary>
public sealed class FuzzHost : IAsyncDisposable
{
    public const string SharedToken = "fuzz-shared-token-0123456789abcdef";
    public const string AdminKey = "fuzz-admin-key-0123456789";
    public const string AccessKey = "fuzz-local-signalr-access-key-0123456789";

    private readonly PrivateAzurite storage;
    private readonly WebApplication app;
    private readonly ConcurrentQueue<string> serverErrors = new();
    private int requestsSeen;

    private FuzzHost(PrivateAzurite storage, WebApplication app, Uri baseUrl)
    {
        this.storage = storage;
        this.app = app;
        BaseUrl = baseUrl;
        Http = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 64, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2) })
        {
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    public Uri BaseUrl { get; }

    public HttpClient Http { get; }

    public CapturingLoggerProvider Logs { get; } = new();

    public string StorageConnectionString => storage.ConnectionString;

    /// <summary>CPU used so far by this process (gateway, local service and fuzz client together) and by the storage emulator.</summary>
    public (TimeSpan Process, TimeSpan Storage) ProcessorTime => (Process.GetCurrentProcess().TotalProcessorTime, storage.ProcessorTime);

    /// <summary>Every 5xx response the app wrote, or exception it let escape: "{status} {path} {connection id}".</summary>
    public IReadOnlyCollection<string> ServerErrors => serverErrors;

    /// <summary>How the cases of each surface ended (HTTP status, refusal code, frame outcome): shows how deep the fuzz got.</summary>
    public ConcurrentDictionary<(string Surface, string Outcome), int> Outcomes { get; } = new();

    public void Tally(string surface, string outcome) => Outcomes.AddOrUpdate((surface, outcome), 1, static (_, n) => n + 1);

    /// <summary>One line per surface: its outcomes, most frequent first.</summary>
    public IEnumerable<string> OutcomeLines() => Outcomes.GroupBy(o => o.Key.Surface, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
        .Select(g => $"{g.Key}: " + string.Join(", ", g.OrderByDescending(o => o.Value).Select(o => $"{o.Key.Outcome} x{o.Value}")));

    /// <summary>Requests the status recorder saw: proof that it sits in the pipeline the fuzz goes through.</summary>
    public int RequestsSeen => Volatile.Read(ref requestsSeen);

    /// <summary>Each case by the connection id it used, so a log line naming a connection can name its case and input.</summary>
    public ConcurrentDictionary<string, (string Label, IFuzzCase Case)> CaseOfConnection { get; } = new(StringComparer.Ordinal);

    /// <summary>The device paired during setup, and its token.</summary>
    public DeviceKey PairedKey { get; } = DeviceKey.FromSeed(new byte[32]);

    public string PairedDeviceToken { get; private set; } = string.Empty;

    /// <summary>The paired device's connection, a real SignalR client admitted during setup and open until the end.</summary>
    public GatewayConnection Admitted { get; private set; } = null!;

    /// <summary>A client access token from <c>negotiate</c>, for raw WebSocket connections to the local service.</summary>
    public string ClientAccessToken { get; private set; } = string.Empty;

    public static async Task<FuzzHost> StartAsync()
    {
        var storage = await PrivateAzurite.StartAsync();
        var baseUrl = new Uri($"http://127.0.0.1:{LocalHostFixture.FreePort()}");
        var app = LocalGatewayApp.Build(["--urls", baseUrl.ToString().TrimEnd('/')], new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = storage.ConnectionString,
            ["Gateway:SharedToken"] = SharedToken,
            ["Gateway:AdminKey"] = AdminKey,
            ["Gateway:LocalSignalRAccessKey"] = AccessKey,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        });
        var host = new FuzzHost(storage, app, baseUrl);
        app.Services.GetRequiredService<ILoggerFactory>().AddProvider(host.Logs);

        // Added after the routes: WebApplication runs its endpoints at the end of the pipeline, so this sees every
        // response except the client endpoint's own 400/401 refusals.
        app.Use(async (context, next) =>
        {
            Interlocked.Increment(ref host.requestsSeen);
            try
            {
                await next(context);
            }
            catch (Exception ex)
            {
                host.serverErrors.Enqueue($"exception {context.Request.Path} {Connection(context)}: {ex.GetType().Name}: {ex.Message}");
                throw;
            }

            if (context.Response.StatusCode >= 500)
            {
                host.serverErrors.Enqueue($"{context.Response.StatusCode} {context.Request.Path} {Connection(context)}");
            }
        });
        await app.StartAsync();
        await host.SetUpAsync();
        return host;
    }

    public async Task<UpstreamAnswer> PostAsync(UpstreamPost post, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(BaseUrl, "api/signalr/upstream"));
        request.Content = post.Chunked ? new StreamContent(new MemoryStream(post.Body)) : new ByteArrayContent(post.Body);
        if (post.ContentType is not null)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", post.ContentType);
        }

        foreach (var (name, value) in post.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await Http.SendAsync(request, cancellationToken);
        return new UpstreamAnswer((int)response.StatusCode, response.Content.Headers.ContentType?.ToString(), await response.Content.ReadAsByteArrayAsync(cancellationToken));
    }

    /// <summary>The headers the service sends for a connection, signed with the access key.</summary>
    public static List<KeyValuePair<string, string>> SignedHeaders(string connectionId, string category = "messages", string eventName = "req") =>
    [
        new(UpstreamHeaders.ConnectionIdHeader, connectionId),
        new(UpstreamHeaders.HubHeader, "gateway"),
        new(UpstreamHeaders.CategoryHeader, category),
        new(UpstreamHeaders.EventHeader, eventName),
        new(UpstreamHeaders.SignatureHeader, UpstreamSignature.Compute(AccessKey, connectionId)),
    ];

    /// <summary>A signed, well-formed JSON <c>req</c> call; returns the completion's result.</summary>
    public async Task<JsonNode?> CallAsync(string connectionId, string method, object? parameters, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new { type = 1, invocationId = "1", target = "req", arguments = new[] { new { method, @params = parameters } } }, GatewayJson.Options);
        var answer = await PostAsync(new UpstreamPost(body, "application/json", SignedHeaders(connectionId)), cancellationToken);
        Assert.True(answer.Status == 200, $"setup call {method} answered {answer.Status}");
        return JsonNode.Parse(answer.Body.AsSpan(0, answer.Body.Length - 1))?["result"];
    }

    /// <summary>What the service sends when a client connection ends: the gateway forgets the connection's rows.</summary>
    public async Task<int> DisconnectAsync(string connectionId, CancellationToken cancellationToken)
        => (await PostAsync(new UpstreamPost("{\"type\":11}"u8.ToArray(), "application/json", SignedHeaders(connectionId, "connections", "disconnected")), cancellationToken)).Status;

    public async Task<string> ChallengeAsync(string connectionId, CancellationToken cancellationToken)
        => (await CallAsync(connectionId, GatewayMethods.ConnectChallenge, null, cancellationToken))?["payload"]?["nonce"]?.GetValue<string>()
            ?? throw new InvalidOperationException("connect.challenge gave no nonce");

    /// <summary>Waits until no deferred close is queued or in flight (a setup pairing queues one).</summary>
    public async Task WaitForIdleQueuesAsync(TimeSpan within)
    {
        var queue = new QueueServiceClient(storage.ConnectionString).GetQueueClient(StorageNames.CloseQueue);
        await Eventually.HoldsAsync(
            async () => (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0, within, $"the close queue did not drain within {within}");
    }

    public async ValueTask DisposeAsync()
    {
        if (Admitted is not null)
        {
            await Admitted.DisposeAsync();
        }

        Http.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
        await storage.DisposeAsync();
        PairedKey.Dispose();
    }

    /// <summary>
    /// Pairs <see cref="PairedKey"/> through the real flow with a real SignalR client (NOT_PAIRED, the policy close,
    /// admin approval, connect again), keeps that admitted connection open for the end, and negotiates once.
    /// </summary>
    private async Task SetUpAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        await using (var first = await GatewayConnection.StartAsync(BaseUrl, cancellationToken: ct))
        {
            var firstId = first.SignalRConnectionId ?? throw new InvalidOperationException("setup: no connection id");
            var challenge = await first.ChallengeAsync(ct);
            var refused = await first.RequestAsync(GatewayMethods.Connect, SignedConnect(challenge.Nonce), ct);
            var requestId = refused.GetProperty("error").GetProperty("details").GetProperty("requestId").GetString()!;
            using var admin = new GatewayAdminClient(BaseUrl, AdminKey, Http);
            await admin.ApproveAsync(requestId, ct);

            // The policy close lands; the service's disconnected event then removes the connection's row.
            Assert.Equal(GatewayProtocol.PairingRequiredCloseReason, await first.Closed.WaitAsync(ct));
            var connections = new TableServiceClient(storage.ConnectionString).GetTableClient(StorageNames.ConnectionsTable);
            await Eventually.HoldsAsync(
                async () => !(await connections.GetEntityIfExistsAsync<TableEntity>(firstId, string.Empty, cancellationToken: ct)).HasValue,
                TimeSpan.FromSeconds(60), "setup: the refused connection's row was not removed after its close");
        }

        Admitted = await GatewayConnection.StartAsync(BaseUrl, cancellationToken: ct);
        var hello = await Admitted.ConnectAsync(SignedConnect((await Admitted.ChallengeAsync(ct)).Nonce), ct);
        PairedDeviceToken = hello.Auth.DeviceToken ?? throw new InvalidOperationException("setup: admitted without a device token");

        using var negotiate = await Http.PostAsync(new Uri(BaseUrl, "api/negotiate"), null, ct);
        ClientAccessToken = JsonNode.Parse(await negotiate.Content.ReadAsStringAsync(ct))?["accessToken"]?.GetValue<string>() ?? throw new InvalidOperationException("setup: negotiate gave no token");
        await WaitForIdleQueuesAsync(TimeSpan.FromSeconds(60));
    }

    private ConnectParams SignedConnect(string nonce)
        => ConnectRequest.Build(PairedKey, new ClientInfo { Id = "fuzz", Version = "1", Platform = "linux", Mode = "cli" },
            GatewayRoles.Operator, [OperatorScopes.Read], nonce, new ConnectAuth { Token = SharedToken }, DateTimeOffset.UtcNow);

    private static string Connection(HttpContext context) => context.Request.Headers[UpstreamHeaders.ConnectionIdHeader].ToString();
}
