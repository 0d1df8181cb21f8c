using System.Buffers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace FunctionsGateway.IntegrationTests.EndToEnd;

/// <summary>
/// A hub connection spoken by hand over a raw WebSocket: the gateway's negotiate, the service's negotiate, the hub
/// handshake, then whatever bytes a test wants to send, including frames no real SignalR client would produce.
/// </summary>
internal sealed class RawHubSocket : IAsyncDisposable
{
    private static readonly HttpClient Http = new();
    private readonly ClientWebSocket socket;
    private readonly IHubProtocol protocol;
    private readonly ArrayBufferWriter<byte> pending = new();
    private readonly AnyResult binder;

    private RawHubSocket(ClientWebSocket socket, IHubProtocol protocol, string connectionId)
    {
        this.socket = socket;
        this.protocol = protocol;
        ConnectionId = connectionId;
        binder = new AnyResult(protocol is JsonHubProtocol ? typeof(JsonElement) : typeof(object));
    }

    /// <summary>The service's id for the connection (the upstream's <c>X-ASRS-Connection-Id</c>).</summary>
    public string ConnectionId { get; }

    public WebSocketCloseStatus? CloseStatus => socket.CloseStatus;

    public WebSocketState State => socket.State;

    public static async Task<RawHubSocket> ConnectAsync(Uri gatewayBase, bool messagePack)
    {
        var raw = await OpenAsync(gatewayBase, messagePack);
        await raw.SendTextAsync($"{{\"protocol\":\"{raw.protocol.Name}\",\"version\":1}}\u001e");
        var handshake = await raw.ReceiveFrameAsync() ?? throw new InvalidOperationException("closed during the handshake");
        Assert.Equal("{}\u001e", Encoding.UTF8.GetString(handshake));
        return raw;
    }

    /// <summary>Negotiates and opens the WebSocket, stopping before the hub-protocol handshake (the test sends its own).</summary>
    public static async Task<RawHubSocket> OpenAsync(Uri gatewayBase, bool messagePack)
    {
        using var negotiate = await Http.PostAsync(new Uri(gatewayBase, "api/negotiate"), null);
        var redirect = await negotiate.Content.ReadFromJsonAsync<JsonElement>();
        var url = new Uri(redirect.GetProperty("url").GetString()!);
        var token = redirect.GetProperty("accessToken").GetString()!;

        using var serviceNegotiate = new HttpRequestMessage(HttpMethod.Post, new Uri(url.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/negotiate" + url.Query + "&negotiateVersion=1"));
        serviceNegotiate.Headers.Authorization = new("Bearer", token);
        using var negotiated = await Http.SendAsync(serviceNegotiate);
        negotiated.EnsureSuccessStatusCode();
        var connection = await negotiated.Content.ReadFromJsonAsync<JsonElement>();

        var socket = new ClientWebSocket();
        var ws = new UriBuilder(url) { Scheme = "ws" };
        ws.Query = url.Query.TrimStart('?') + "&id=" + Uri.EscapeDataString(connection.GetProperty("connectionToken").GetString()!)
            + "&access_token=" + Uri.EscapeDataString(token);
        await socket.ConnectAsync(ws.Uri, CancellationToken.None);
        IHubProtocol hubProtocol = messagePack ? new MessagePackHubProtocol() : new JsonHubProtocol();
        return new RawHubSocket(socket, hubProtocol, connection.GetProperty("connectionId").GetString()!);
    }

    public Task SendTextAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    public async Task SendAsync(ReadOnlyMemory<byte> bytes, WebSocketMessageType type)
        => await socket.SendAsync(bytes, type, endOfMessage: true, CancellationToken.None);

    /// <summary>Sends hub messages in this connection's protocol, framed, all in one WebSocket message.</summary>
    public Task SendMessagesAsync(params HubMessage[] messages)
        => SendAsync(messages.SelectMany(m => protocol.GetMessageBytes(m).ToArray()).ToArray(),
            protocol.TransferFormat == Microsoft.AspNetCore.Connections.TransferFormat.Binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text);

    /// <summary>The next hub message the service sends (pings skipped), or null once the WebSocket is closed.</summary>
    public async Task<HubMessage?> ReceiveMessageAsync(TimeSpan patience)
    {
        using var timeout = new CancellationTokenSource(patience);
        while (true)
        {
            var buffered = new ReadOnlySequence<byte>(pending.WrittenMemory.ToArray());
            if (protocol.TryParseMessage(ref buffered, binder, out var message))
            {
                var rest = buffered.ToArray();
                pending.ResetWrittenCount();
                pending.Write(rest);
                if (message is PingMessage)
                {
                    continue;
                }

                return message;
            }

            var frame = await ReceiveFrameAsync(timeout.Token);
            if (frame is null)
            {
                return null;
            }

            pending.Write(frame);
        }
    }

    /// <summary>Waits for the service to end the WebSocket; true when it did within <paramref name="patience"/>.</summary>
    public async Task<bool> ClosedByServiceAsync(TimeSpan patience)
    {
        using var timeout = new CancellationTokenSource(patience);
        try
        {
            while (await ReceiveFrameAsync(timeout.Token) is not null)
            {
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Ends the WebSocket from the client side, as a SignalR client does after a Close message.</summary>
    public async Task CloseAsync()
    {
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await CloseAsync();
        }
        catch (WebSocketException)
        {
            // Already torn down by the service.
        }

        socket.Dispose();
    }

    public async Task<byte[]?> ReceiveFrameAsync(CancellationToken cancellationToken = default)
    {
        var message = new ArrayBufferWriter<byte>();
        while (true)
        {
            var result = await socket.ReceiveAsync(message.GetMemory(64 * 1024), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            message.Advance(result.Count);
            if (result.EndOfMessage)
            {
                return message.WrittenMemory.ToArray();
            }
        }
    }

    /// <summary>The service sends completions, events and closes: each value is read as the protocol's plain type.</summary>
    private sealed class AnyResult(Type type) : IInvocationBinder
    {
        public IReadOnlyList<Type> GetParameterTypes(string methodName) => [type];

        public Type GetReturnType(string invocationId) => type;

        public Type GetStreamItemType(string streamId) => type;
    }
}
