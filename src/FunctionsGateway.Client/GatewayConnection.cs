using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using FunctionsGateway.Protocol;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Http.Connections.Client;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace FunctionsGateway.Client;

/// <summary>Client-side detail codes, for failures that never reached the gateway.</summary>
public static class ClientDetailCodes
{
    /// <summary>Negotiate or the SignalR handshake failed: nothing was said to the gateway.</summary>
    public const string ConnectFailed = "CONNECT_FAILED";
}

/// <summary>
/// One SignalR connection to the gateway hub, before or after the handshake: raw <c>req</c> calls, events and the close
/// reason. <see cref="GatewayClient"/> builds the signed handshake on top of it; tests can use it to speak the wire directly.
/// </summary>
public sealed class GatewayConnection : IAsyncDisposable
{
    private const string ServerClosedPrefix = "The server closed the connection with the following error: ";

    private readonly HubConnection hub;
    private readonly Channel<GatewayEvent> events = Channel.CreateUnbounded<GatewayEvent>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly TaskCompletionSource<string?> closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Type resultType;
    private int disposed;

    private GatewayConnection(HubConnection hub, bool useMessagePack)
    {
        this.hub = hub;
        UsesMessagePack = useMessagePack;
        resultType = useMessagePack ? typeof(object) : typeof(JsonElement);
        hub.On(GatewayEvents.Target, [resultType], OnEventAsync);
        hub.Closed += error =>
        {
            closed.TrySetResult(ReasonOf(error));
            events.Writer.TryComplete();
            return Task.CompletedTask;
        };
    }

    /// <summary>Raised for every server event, on SignalR's receive loop: keep handlers short.</summary>
    public event Action<GatewayEvent>? EventReceived;

    public bool UsesMessagePack { get; }

    /// <summary>The SignalR connection id from negotiate (the gateway's id for this connection is in hello-ok).</summary>
    public string? SignalRConnectionId => hub.ConnectionId;

    public bool IsConnected => hub.State == HubConnectionState.Connected;

    /// <summary>
    /// Completes when the connection ends: with the server's close reason (e.g. <c>pairing required</c>,
    /// <c>device token revoked</c>, <c>device removed</c>), with the transport error's message, or with null for a
    /// clean close (including <see cref="DisposeAsync"/>).
    /// </summary>
    public Task<string?> Closed => closed.Task;

    /// <summary>Negotiates (<c>POST {url}/api/negotiate</c>, following its redirect) and starts the connection.</summary>
    public static Task<GatewayConnection> StartAsync(GatewayClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return StartAsync(options.GatewayUrl, options.UseMessagePack, options.Transports, options.ConfigureHttpConnection, cancellationToken);
    }

    /// <inheritdoc cref="StartAsync(GatewayClientOptions, CancellationToken)"/>
    public static async Task<GatewayConnection> StartAsync(
        Uri gatewayUrl,
        bool useMessagePack = false,
        HttpTransportType? transports = null,
        Action<HttpConnectionOptions>? configureHttpConnection = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(gatewayUrl);
        var hubUrl = HubUrl(gatewayUrl);
        var builder = new HubConnectionBuilder().WithUrl(
            hubUrl,
            transports ?? (HttpTransportType.WebSockets | HttpTransportType.ServerSentEvents | HttpTransportType.LongPolling),
            o => configureHttpConnection?.Invoke(o));
        if (useMessagePack)
        {
            builder.AddMessagePackProtocol();
        }

        var hub = builder.Build();
        var connection = new GatewayConnection(hub, useMessagePack);
        try
        {
            await hub.StartAsync(cancellationToken);
            return connection;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await connection.DisposeAsync();
            // Never echo the query string: in Azure it may carry a function key.
            throw new GatewayException(ErrorCodes.Unavailable, $"could not connect to {hubUrl.GetLeftPart(UriPartial.Path)}: {ex.Message}",
                GatewayException.Detail(ClientDetailCodes.ConnectFailed), ex);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary><c>{base}/api</c>: the SignalR client appends <c>/negotiate</c>. A path prefix on the base URL is kept.</summary>
    public static Uri HubUrl(Uri gatewayUrl)
    {
        ArgumentNullException.ThrowIfNull(gatewayUrl);
        var builder = new UriBuilder(gatewayUrl);
        if (!builder.Path.EndsWith('/'))
        {
            builder.Path += "/";
        }

        builder.Path += "api";
        return builder.Uri;
    }

    /// <summary>Sends <c>req {method, params}</c> and returns the whole <c>{ok, payload?, error?}</c> response, whatever <c>ok</c> says.</summary>
    public async Task<JsonElement> RequestAsync(string method, object? parameters = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        var request = BuildRequest(method, parameters);
        object? argument = UsesMessagePack ? HubValueConverter.ToPlainObject(request) : request;
        object? result;
        try
        {
            result = await hub.InvokeCoreAsync(GatewayProtocol.RequestTarget, resultType, [argument], cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is not GatewayException)
        {
            throw MapInvocationFailure(ex);
        }

        return HubValueConverter.ToJsonElement(result);
    }

    /// <summary>Sends <c>req</c> and returns the payload; a <c>{ok:false}</c> answer throws <see cref="GatewayException"/>.</summary>
    public async Task<JsonElement> InvokeAsync(string method, object? parameters = null, CancellationToken cancellationToken = default)
        => GatewayException.Unwrap(await RequestAsync(method, parameters, cancellationToken));

    /// <summary>Step 1 of the handshake: <c>connect.challenge</c> → <c>{nonce, ts, protocol}</c>.</summary>
    public async Task<ChallengePayload> ChallengeAsync(CancellationToken cancellationToken = default)
    {
        var payload = await InvokeAsync(GatewayMethods.ConnectChallenge, null, cancellationToken);
        var challenge = Deserialize<ChallengePayload>(payload, "challenge");
        if (string.IsNullOrEmpty(challenge.Nonce))
        {
            throw new GatewayException(ErrorCodes.Unavailable, "malformed challenge: no nonce", GatewayException.Detail(DetailCodes.MalformedFrame));
        }

        return challenge;
    }

    /// <summary>Step 2: <c>connect</c> with signed params → hello-ok. NOT_PAIRED throws <see cref="PairingRequiredException"/>.</summary>
    public async Task<HelloOk> ConnectAsync(ConnectParams parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var payload = await InvokeAsync(GatewayMethods.Connect, parameters, cancellationToken);
        return Deserialize<HelloOk>(payload, "hello-ok");
    }

    /// <summary>
    /// Reads events as they arrive. Events are buffered from the start of the connection (unbounded) and each is
    /// delivered to one reader: use <see cref="EventReceived"/> to fan out. Ends when the connection closes.
    /// </summary>
    public IAsyncEnumerable<GatewayEvent> Events(CancellationToken cancellationToken = default)
        => events.Reader.ReadAllAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await hub.DisposeAsync();
        }
        finally
        {
            closed.TrySetResult(null);
            events.Writer.TryComplete();
        }
    }

    /// <summary>The <c>{method, params}</c> argument as JSON (params omitted when null), under <see cref="GatewayJson.Options"/>.</summary>
    public static JsonElement BuildRequest(string method, object? parameters)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("method", method);
            switch (parameters)
            {
                case null:
                case JsonElement { ValueKind: JsonValueKind.Undefined }:
                    break;
                case JsonElement element:
                    writer.WritePropertyName("params");
                    element.WriteTo(writer);
                    break;
                case JsonDocument document:
                    writer.WritePropertyName("params");
                    document.RootElement.WriteTo(writer);
                    break;
                case JsonNode node:
                    writer.WritePropertyName("params");
                    node.WriteTo(writer, GatewayJson.Options);
                    break;
                default:
                    writer.WritePropertyName("params");
                    JsonSerializer.Serialize(writer, parameters, parameters.GetType(), GatewayJson.Options);
                    break;
            }

            writer.WriteEndObject();
        }

        var reader = new Utf8JsonReader(buffer.WrittenSpan);
        return JsonElement.ParseValue(ref reader);
    }

    /// <summary>The server's close reason from the exception SignalR reports, or the exception's message.</summary>
    internal static string? ReasonOf(Exception? error)
    {
        if (error is null)
        {
            return null;
        }

        return error is HubException && error.Message.StartsWith(ServerClosedPrefix, StringComparison.Ordinal)
            ? error.Message[ServerClosedPrefix.Length..]
            : error.Message;
    }

    private GatewayException MapInvocationFailure(Exception ex)
    {
        var serverClose = ex is HubException && ex.Message.StartsWith(ServerClosedPrefix, StringComparison.Ordinal);
        var connectionGone = serverClose || ex is OperationCanceledException || closed.Task.IsCompleted || hub.State != HubConnectionState.Connected;
        if (!connectionGone)
        {
            // e.g. "Invocation failed, status code 500": the upstream answered with an HTTP error instead of a result.
            return new GatewayException(ErrorCodes.Unavailable, ex.Message, null, ex);
        }

        var reason = serverClose ? ReasonOf(ex) : closed.Task.IsCompletedSuccessfully ? closed.Task.Result : null;
        if (reason == GatewayProtocol.PairingRequiredCloseReason)
        {
            // The close overtook the structured answer: we know pairing is required, not the request id.
            return new PairingRequiredException(reason, GatewayException.Detail(DetailCodes.PairingRequired), ex);
        }

        return new GatewayException(ErrorCodes.Unavailable, reason is null ? "connection closed" : $"connection closed: {reason}",
            GatewayException.Detail(DetailCodes.ConnectionClosed, reason), ex);
    }

    private Task OnEventAsync(object?[] arguments)
    {
        if (arguments.Length == 0)
        {
            return Task.CompletedTask;
        }

        GatewayEvent? gatewayEvent;
        try
        {
            gatewayEvent = GatewayEvent.FromFrame(HubValueConverter.ToJsonElement(arguments[0]));
        }
        catch (JsonException)
        {
            return Task.CompletedTask;
        }

        if (gatewayEvent is null)
        {
            return Task.CompletedTask;
        }

        events.Writer.TryWrite(gatewayEvent);
        EventReceived?.Invoke(gatewayEvent);
        return Task.CompletedTask;
    }

    private static T Deserialize<T>(JsonElement payload, string what)
        where T : class
    {
        try
        {
            return payload.Deserialize<T>(GatewayJson.Options)
                ?? throw new GatewayException(ErrorCodes.Unavailable, $"malformed {what}: empty payload", GatewayException.Detail(DetailCodes.MalformedFrame));
        }
        catch (JsonException ex)
        {
            throw new GatewayException(ErrorCodes.Unavailable, $"malformed {what}: {ex.Message}", GatewayException.Detail(DetailCodes.MalformedFrame), ex);
        }
    }
}
