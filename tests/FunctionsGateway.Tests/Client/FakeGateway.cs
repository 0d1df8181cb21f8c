using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using FunctionsGateway.Client;
using FunctionsGateway.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Tests.Client;

/// <summary>
/// A minimal in-process stand-in for the gateway's client endpoint: real SignalR negotiate and transports
/// (<c>MapConnectionHandler</c>), the hub protocol spoken with the framework's own JSON and MessagePack classes, and a
/// small scripted gateway behind <c>req</c> that verifies the device signature like the real one. It exists to test the
/// client's behaviour (wire shapes, protocol conversion, close reasons, token handling), not the gateway.
/// </summary>
internal sealed class FakeGateway : IAsyncDisposable
{
    public const string SharedToken = "test-shared-token";

    private readonly WebApplication app;

    private FakeGateway(WebApplication app, FakeGatewayState state, Uri url)
    {
        this.app = app;
        State = state;
        Url = url;
    }

    public FakeGatewayState State { get; }

    public Uri Url { get; }

    public static async Task<FakeGateway> StartAsync()
    {
        var state = new FakeGatewayState();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddConnections();
        builder.Services.AddSingleton(state);
        var app = builder.Build();
        app.MapConnectionHandler<FakeHubHandler>("/api");
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FakeGateway(app, state, new Uri(address));
    }

    public GatewayClientOptions Options(string identityPath, bool messagePack, params string[] scopes) => new()
    {
        GatewayUrl = Url,
        SharedToken = SharedToken,
        IdentityPath = identityPath,
        UseMessagePack = messagePack,
        Scopes = scopes,
    };

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

/// <summary>What the fake answers, and what it saw.</summary>
internal sealed class FakeGatewayState
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, string> nonces = [];
    private readonly Dictionary<string, string[]> approved = [];
    private readonly Dictionary<string, string> tokens = [];
    private readonly HashSet<string> issuePending = [];
    private readonly Dictionary<string, string> pendingRequests = [];
    private readonly ConcurrentDictionary<string, Func<GatewayEventFrame, Task>> eventSinks = new(StringComparer.Ordinal);
    private readonly List<NodeEventParams> nodeEvents = [];
    private readonly List<(Func<NodeEventParams, bool> Match, TaskCompletionSource<NodeEventParams> Seen)> nodeEventWaiters = [];
    private readonly TaskCompletionSource<string> firstAdmission = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int pairingAttempts;
    private long seq;

    public ConcurrentQueue<JsonElement> Requests { get; } = new();

    /// <summary>Run ids whose <c>node.event started</c> is refused with RUN_NOT_OFFERED (as when another worker has it).</summary>
    public ConcurrentDictionary<string, bool> RefuseStart { get; } = new(StringComparer.Ordinal);

    /// <summary>Every <c>node.event</c> received, in order of arrival.</summary>
    public IReadOnlyList<NodeEventParams> NodeEvents
    {
        get
        {
            lock (gate)
            {
                return [.. nodeEvents];
            }
        }
    }

    /// <summary>The <c>node.event</c>s received for one run, in order.</summary>
    public IReadOnlyList<NodeEventParams> NodeEventsOf(string runId) => [.. NodeEvents.Where(e => e.RunId == runId)];

    /// <summary>Completes with the first <c>node.event</c> (already received or yet to come) that <paramref name="match"/> accepts.</summary>
    public Task<NodeEventParams> WaitForNodeEventAsync(Func<NodeEventParams, bool> match)
    {
        lock (gate)
        {
            if (nodeEvents.FirstOrDefault(match) is { } seen)
            {
                return Task.FromResult(seen);
            }

            var waiter = new TaskCompletionSource<NodeEventParams>(TaskCreationOptions.RunContinuationsAsynchronously);
            nodeEventWaiters.Add((match, waiter));
            return waiter.Task;
        }
    }

    /// <summary>Pushes an event frame to one connection (by the id its hello-ok named), as the gateway's REST API would.</summary>
    public Task SendEventAsync(string connectionId, string name, object payload)
        => eventSinks.TryGetValue(connectionId, out var sink)
            ? sink(new GatewayEventFrame(name, payload, Interlocked.Increment(ref seq)))
            : throw new InvalidOperationException($"no open connection {connectionId}");

    internal void AttachEventSink(string connectionId, Func<GatewayEventFrame, Task> sink) => eventSinks[connectionId] = sink;

    internal void DetachEventSink(string connectionId) => eventSinks.TryRemove(connectionId, out _);

    /// <summary>Approve a device's pending ask automatically on this pairing attempt (1-based); 0: never.</summary>
    public int ApproveOnAttempt { get; set; }

    public int PairingAttempts => Volatile.Read(ref pairingAttempts);

    /// <summary>The connection id of the first connect answered hello-ok.</summary>
    public Task<string> FirstAdmission => firstAdmission.Task;

    public IEnumerable<JsonElement> ConnectAuths => Requests
        .Where(r => GatewayException.GetString(r, "method") == GatewayMethods.Connect)
        .Select(r => r.GetProperty("params").GetProperty("auth"));

    public void Approve(string deviceId, params string[] scopes)
    {
        lock (gate)
        {
            approved[deviceId] = scopes;
            issuePending.Add(deviceId);
            pendingRequests.Remove(deviceId);
        }
    }

    /// <summary>Returns the response and, when the connection must then be closed, the close reason.</summary>
    public (JsonElement Response, string? CloseReason, GatewayEventFrame? Event) Handle(string connectionId, JsonElement request)
    {
        Requests.Enqueue(request.Clone());
        var method = GatewayException.GetString(request, "method");
        var parameters = request.TryGetProperty("params", out var p) ? p : default;
        switch (method)
        {
            case GatewayMethods.ConnectChallenge:
                var nonce = Guid.NewGuid().ToString("N");
                lock (gate)
                {
                    nonces[connectionId] = nonce;
                }

                return (Ok(new ChallengePayload(nonce, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), GatewayProtocol.Version)), null, null);
            case GatewayMethods.Connect:
                return Connect(connectionId, parameters);
            case "test.echo":
                return (Ok(parameters), null, null);
            case "test.event":
                return (Ok(new { sent = true }), null, new GatewayEventFrame("test.event", parameters, 7));
            case "test.revoke":
                return (Ok(new { revoked = true }), "device token revoked", null);
            case GatewayMethods.NodeEvent:
                return (NodeEvent(parameters), null, null);
            default:
                return (Fail(ErrorCodes.InvalidRequest, $"unknown method: {method}", new ErrorDetails(DetailCodes.UnknownMethod)), null, null);
        }
    }

    private (JsonElement, string?, GatewayEventFrame?) Connect(string connectionId, JsonElement raw)
    {
        var p = raw.Deserialize<ConnectParams>(GatewayJson.Options)!;
        string? expectedNonce;
        lock (gate)
        {
            nonces.Remove(connectionId, out expectedNonce);
        }

        var device = p.Device!;
        if (device.Nonce is null || device.Nonce != expectedNonce)
        {
            return (Fail(ErrorCodes.InvalidRequest, "nonce mismatch", new ErrorDetails(DetailCodes.NonceMismatch)), null, null);
        }

        var scopes = p.Scopes ?? [];
        var token = DeviceAuthPayload.SelectToken(p.Auth?.Token, p.Auth?.DeviceToken);
        var signed = DeviceAuthPayload.Build(device.Id!, p.Client!.Id!, p.Client.Mode!, p.Role!, scopes, device.SignedAt, token, device.Nonce,
            p.Client.Platform, p.Client.DeviceFamily);
        if (!DeviceIdentity.TryDecodePublicKey(device.PublicKey, out var publicKey)
            || DeviceIdentity.DeriveDeviceId(publicKey) != device.Id
            || !Base64Url.TryDecode(device.Signature, out var signature)
            || !DeviceIdentity.Verify(publicKey, Encoding.UTF8.GetBytes(signed), signature))
        {
            return (Fail(ErrorCodes.InvalidRequest, "device signature invalid", new ErrorDetails(DetailCodes.SignatureInvalid)), null, null);
        }

        var deviceId = device.Id!;
        lock (gate)
        {
            if (p.Auth?.Token != FakeGateway.SharedToken)
            {
                if (string.IsNullOrEmpty(p.Auth?.DeviceToken))
                {
                    return (Fail(ErrorCodes.InvalidRequest, "unauthorized: gateway token missing", new ErrorDetails(DetailCodes.AuthUnauthorized)), null, null);
                }

                if (!tokens.TryGetValue(deviceId + "|" + p.Role, out var expected) || expected != p.Auth.DeviceToken)
                {
                    return (Fail(ErrorCodes.InvalidRequest, "unauthorized: device token mismatch", new ErrorDetails(DetailCodes.AuthDeviceTokenMismatch)), null, null);
                }
            }

            var attempt = Interlocked.Increment(ref pairingAttempts);
            if (!approved.TryGetValue(deviceId, out var baseline) || scopes.Except(baseline).Any())
            {
                if (ApproveOnAttempt > 0 && attempt >= ApproveOnAttempt)
                {
                    approved[deviceId] = scopes;
                    issuePending.Add(deviceId);
                    pendingRequests.Remove(deviceId);
                }
                else
                {
                    if (!pendingRequests.TryGetValue(deviceId, out var requestId))
                    {
                        requestId = Guid.NewGuid().ToString("N");
                        pendingRequests[deviceId] = requestId;
                    }

                    var details = new ErrorDetails(DetailCodes.PairingRequired, new
                    {
                        requestId,
                        reason = baseline is null ? PairingReasons.NotPaired : PairingReasons.ScopeUpgrade,
                        requestedRole = p.Role,
                        requestedScopes = scopes,
                        approvedScopes = baseline ?? [],
                    });
                    return (Fail(ErrorCodes.NotPaired, "pairing required", details), GatewayProtocol.PairingRequiredCloseReason, null);
                }
            }

            string? minted = null;
            var key = deviceId + "|" + p.Role;
            var due = issuePending.Remove(deviceId);
            if (!tokens.ContainsKey(key) || due)
            {
                minted = "device-token-" + Guid.NewGuid().ToString("N");
                tokens[key] = minted;
            }

            var hello = new HelloOk("hello-ok", GatewayProtocol.Version, new HelloServer("test", connectionId),
                new HelloAuth(minted, p.Role!, scopes), new HelloFeatures(["test.echo"], GatewayEvents.All),
                new HelloPolicy(65536, 300_000, 120_000));
            firstAdmission.TrySetResult(connectionId);
            return (Ok(hello), null, null);
        }
    }

    private JsonElement NodeEvent(JsonElement raw)
    {
        var e = raw.Deserialize<NodeEventParams>(GatewayJson.Options)!;
        lock (gate)
        {
            nodeEvents.Add(e);
            foreach (var waiter in nodeEventWaiters.Where(w => w.Match(e)).ToList())
            {
                nodeEventWaiters.Remove(waiter);
                waiter.Seen.TrySetResult(e);
            }
        }

        return e.Kind == NodeEventKinds.Started && e.RunId is not null && RefuseStart.ContainsKey(e.RunId)
            ? Fail(ErrorCodes.InvalidRequest, "run not offered to this worker", new ErrorDetails(DetailCodes.RunNotOffered))
            : Ok(new { });
    }

    private static JsonElement Ok(object? payload) => JsonSerializer.SerializeToElement(GatewayResponse.Success(payload), GatewayJson.Options);

    private static JsonElement Fail(string code, string message, object? details)
        => JsonSerializer.SerializeToElement(GatewayResponse.Failure(code, message, details), GatewayJson.Options);
}

/// <summary>The hub protocol over a raw connection: handshake, then <c>req</c> invocations answered with completions.</summary>
internal sealed class FakeHubHandler(FakeGatewayState state) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        var protocol = await HandshakeAsync(input, output);
        if (protocol is null)
        {
            return;
        }

        // As the hub handler does: a binary protocol needs binary WebSocket frames.
        if (connection.Features.Get<ITransferFormatFeature>() is { } format)
        {
            format.ActiveFormat = protocol.TransferFormat;
        }

        var binder = new ObjectBinder();
        var messagePack = protocol is MessagePackHubProtocol;
        // Events pushed by a test and completions share the output: one writer at a time.
        using var writeLock = new SemaphoreSlim(1, 1);
        state.AttachEventSink(connection.ConnectionId, async frame =>
        {
            await writeLock.WaitAsync();
            try
            {
                WriteEvent(protocol, output, frame, messagePack);
                await output.FlushAsync();
            }
            finally
            {
                writeLock.Release();
            }
        });
        try
        {
            await ServeAsync(connection, protocol, binder, messagePack, writeLock);
        }
        finally
        {
            state.DetachEventSink(connection.ConnectionId);
        }
    }

    private static void WriteEvent(IHubProtocol protocol, PipeWriter output, GatewayEventFrame pushed, bool messagePack)
    {
        var frame = JsonSerializer.SerializeToElement(pushed, GatewayJson.Options);
        object? argument = messagePack ? HubValueConverter.ToPlainObject(frame) : frame;
        protocol.WriteMessage(new InvocationMessage(GatewayEvents.Target, [argument]), output);
    }

    private async Task ServeAsync(ConnectionContext connection, IHubProtocol protocol, ObjectBinder binder, bool messagePack, SemaphoreSlim writeLock)
    {
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        while (true)
        {
            var result = await input.ReadAsync();
            var buffer = result.Buffer;
            try
            {
                while (protocol.TryParseMessage(ref buffer, binder, out var message))
                {
                    if (message is CloseMessage)
                    {
                        return;
                    }

                    if (message is not InvocationMessage { Target: GatewayProtocol.RequestTarget } invocation)
                    {
                        continue;
                    }

                    var request = HubValueConverter.ToJsonElement(invocation.Arguments[0]);
                    var (response, closeReason, pushed) = state.Handle(connection.ConnectionId, request);
                    object? result1 = messagePack ? HubValueConverter.ToPlainObject(response) : response;
                    await writeLock.WaitAsync();
                    try
                    {
                        protocol.WriteMessage(CompletionMessage.WithResult(invocation.InvocationId!, result1), output);
                        if (pushed is not null)
                        {
                            WriteEvent(protocol, output, pushed, messagePack);
                        }

                        if (closeReason is not null)
                        {
                            protocol.WriteMessage(new CloseMessage(closeReason, allowReconnect: true), output);
                            await output.FlushAsync();
                            return;
                        }

                        await output.FlushAsync();
                    }
                    finally
                    {
                        writeLock.Release();
                    }
                }
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }

            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    private static async Task<IHubProtocol?> HandshakeAsync(PipeReader input, PipeWriter output)
    {
        while (true)
        {
            var result = await input.ReadAsync();
            var buffer = result.Buffer;
            if (HandshakeProtocol.TryParseRequestMessage(ref buffer, out var request))
            {
                input.AdvanceTo(buffer.Start);
                IHubProtocol protocol = request.Protocol == "messagepack"
                    ? new MessagePackHubProtocol()
                    : new JsonHubProtocol();
                HandshakeProtocol.WriteResponseMessage(HandshakeResponseMessage.Empty, output);
                await output.FlushAsync();
                return protocol;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    private sealed class ObjectBinder : IInvocationBinder
    {
        public IReadOnlyList<Type> GetParameterTypes(string methodName) => [typeof(object)];

        public Type GetReturnType(string invocationId) => typeof(object);

        public Type GetStreamItemType(string streamId) => typeof(object);
    }
}

/// <summary>A temporary directory for identity files, removed afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fg-client-" + Guid.NewGuid().ToString("N"));
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}

/// <summary>Reports synchronously, in order (unlike <see cref="Progress{T}"/>).</summary>
internal sealed class ProgressSink<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
