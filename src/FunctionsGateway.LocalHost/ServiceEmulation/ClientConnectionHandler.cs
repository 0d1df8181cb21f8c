using System.Buffers;
using System.IO.Pipelines;
using System.Security.Claims;
using FunctionsGateway.SignalR.Serverless;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Connections;

using Microsoft.AspNetCore.SignalR.Protocol;

namespace FunctionsGateway.LocalHost.ServiceEmulation;

/// <summary>
/// The client side of the local SignalR service: the hub-protocol handshake, then each client Invocation forwarded
/// upstream as raw bytes in the client's protocol, and the upstream's framed Completion written back verbatim.
/// </summary>
internal sealed partial class ClientConnectionHandler(
    LocalSignalRService service,
    UpstreamForwarder upstream,
    ILogger<ClientConnectionHandler> logger) : ConnectionHandler
{
    /// <summary>
    /// The largest client message the local endpoint takes. The service sets no limit on WebSocket messages: it
    /// forwards them, and the upstream answers (the gateway's 413 beyond 1 MiB comes back as an error completion while
    /// the connection stays open). Here each message is held whole in memory before it is forwarded, so a hard ceiling
    /// keeps one client from holding more than this; past it the connection is refused with <c>message too large</c>.
    /// </summary>
    public const int MaxFrameBytes = 4 * 1024 * 1024;

    /// <summary>The transport's buffer (<c>ServiceEndpoints</c>): one message at the ceiling, its prefix, and the start of the next.</summary>
    public const int MaxMessageBytes = MaxFrameBytes + 64 * 1024;

    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);
    private static readonly IHubProtocol Json = new JsonHubProtocol();
    private static readonly IHubProtocol MessagePack = new MessagePackHubProtocol();
    private const int CloseMessageType = 7;

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var http = connection.GetHttpContext();
        var hub = http?.Request.Query["hub"].ToString() ?? string.Empty;
        var user = connection.Features.Get<IConnectionUserFeature>()?.User?.FindFirst(ClaimTypes.NameIdentifier)?.Value;
        var input = connection.Transport.Input;

        HubProtocolKind? protocol;
        try
        {
            protocol = await HandshakeAsync(connection, input);
        }
        catch (Exception ex) when (IsTransportFailure(ex))
        {
            // The client's transport broke mid-handshake (a reset, a text message that is not UTF-8): it is gone.
            return;
        }

        if (protocol is null)
        {
            return;
        }

        if (protocol == HubProtocolKind.MessagePack && connection.Features.Get<ITransferFormatFeature>() is { } format)
        {
            // Binary frames on the WebSocket, as the hub protocol's transfer format requires.
            format.ActiveFormat = TransferFormat.Binary;
        }

        var local = new LocalConnection(connection.ConnectionId, hub, user, protocol.Value,
            protocol == HubProtocolKind.Json ? Json : MessagePack, connection.Transport.Output);
        service.Add(local);
        using var loop = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, local.Closing);
        string? error = null;
        Task? pings = null;
        try
        {
            await upstream.ConnectedAsync(local, loop.Token);
            pings = PingAsync(local, loop.Token);
            error = await ReadLoopAsync(local, input, loop.Token);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (IsTransportFailure(ex))
        {
            // As the service does, a broken transport (a text message that is not UTF-8, a reset) ends only this connection.
            error = "transport failed: " + ex.Message;
        }
        finally
        {
            await loop.CancelAsync();
            if (pings is not null)
            {
                await pings;
            }

            service.Remove(local);
            local.Dispose();
            try
            {
                await upstream.DisconnectedAsync(local, error, CancellationToken.None);
            }
            catch (HttpRequestException ex)
            {
                LogUpstreamFailed(logger, ex, local.ConnectionId, "disconnected");
            }
        }
    }

    private static async Task<HubProtocolKind?> HandshakeAsync(ConnectionContext connection, PipeReader input)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        timeout.CancelAfter(HandshakeTimeout);
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(timeout.Token);
                var buffer = result.Buffer;
                if (HandshakeProtocol.TryParseRequestMessage(ref buffer, out var request))
                {
                    input.AdvanceTo(buffer.Start);
                    HubProtocolKind? kind = request.Protocol switch
                    {
                        "json" => HubProtocolKind.Json,
                        "messagepack" => HubProtocolKind.MessagePack,
                        _ => null,
                    };
                    var response = kind is null || request.Version != 1
                        ? new HandshakeResponseMessage($"The protocol '{request.Protocol}' version {request.Version} is not supported.")
                        : HandshakeResponseMessage.Empty;
                    HandshakeProtocol.WriteResponseMessage(response, connection.Transport.Output);
                    await connection.Transport.Output.FlushAsync(timeout.Token);
                    return response.Error is null ? kind : null;
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted || result.Buffer.Length > 4096)
                {
                    return null;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidDataException)
        {
            // A handshake that is not the JSON the hub protocol defines: refused with its reason, as SignalR's server does.
            HandshakeProtocol.WriteResponseMessage(new HandshakeResponseMessage("Handshake request is not valid: " + ex.Message), connection.Transport.Output);
            await connection.Transport.Output.FlushAsync(CancellationToken.None);
            return null;
        }
    }

    /// <summary>Reads frames until the client leaves or the service ends it; returns the error a refused client was told.</summary>
    private async Task<string?> ReadLoopAsync(LocalConnection connection, PipeReader input, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            string? refusal = null;
            try
            {
                while (refusal is null)
                {
                    var read = HubFrames.TryRead(ref buffer, connection.Protocol, MaxFrameBytes, out var frame);
                    if (read == FrameRead.Incomplete)
                    {
                        break;
                    }

                    refusal = read switch
                    {
                        FrameRead.TooLarge => $"message too large: the limit is {MaxFrameBytes} bytes",
                        FrameRead.BadLengthPrefix => $"invalid message: a MessagePack length prefix longer than {HubFrames.MaxLengthPrefixBytes} bytes",
                        _ => await OnFrameAsync(connection, frame, cancellationToken),
                    };
                }
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }

            if (refusal is not null)
            {
                LogRefused(logger, connection.ConnectionId, refusal);
                await connection.RefuseAsync(refusal);
                return refusal;
            }

            if (result.IsCompleted)
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>Handles one message; returns why the connection must be refused, or null.</summary>
    private async Task<string?> OnFrameAsync(LocalConnection connection, byte[] frame, CancellationToken cancellationToken)
    {
        switch (HubFrames.MessageType(frame, connection.Protocol))
        {
            case -1:
                // What the service's own parser would fail on (text that is not a JSON object with a numeric type, bytes
                // that are not a MessagePack array starting with one): refused, never skipped in silence.
                return connection.Protocol == HubProtocolKind.Json
                    ? "invalid message: not a JSON hub message (an object with a numeric \"type\")"
                    : "invalid message: not a MessagePack hub message (an array starting with its type)";
            case SignalR.Serverless.HubProtocolConstants.InvocationType:
                if (!HubInvocationReader.TryRead(frame, connection.Protocol, out var invocation, out var error) || invocation is null)
                {
                    return "invalid message: " + error;
                }

                // Each invocation is its own upstream request, as the service makes it, and, as the service does, a
                // connection's invocations go one at a time: answers come back in order, and one connection's flood of
                // calls waits on itself instead of on everyone. A client leaving does not cancel work already handed over.
                await ForwardAsync(connection, invocation, frame, connection.Closing);
                return null;
            case SignalR.Serverless.HubProtocolConstants.StreamInvocationType:
                if (HubFrames.TryGetInvocationId(frame, connection.Protocol, out var streamId))
                {
                    await connection.WriteMessageAsync(CompletionMessage.WithError(streamId, "Streaming is not supported in serverless mode."), cancellationToken);
                }

                return null;
            case CloseMessageType:
                // The client is leaving: nothing to say back.
                await connection.EndAsync();
                return null;
            default:
                // Pings, acks, cancellations, and types a newer protocol may add need nothing from the app.
                return null;
        }
    }

    private async Task ForwardAsync(LocalConnection connection, HubInvocation invocation, byte[] frame, CancellationToken cancellationToken)
    {
        try
        {
            var reply = await upstream.MessageAsync(connection, invocation.Target, frame, CancellationToken.None);
            if (!invocation.IsBlocking)
            {
                return;
            }

            if (reply.Status is >= 200 and < 300 && reply.Body.Length > 0)
            {
                await connection.WriteFramedAsync(reply.Body, cancellationToken);
            }
            else if (reply.Status is >= 200 and < 300)
            {
                await connection.WriteMessageAsync(CompletionMessage.Empty(invocation.InvocationId!), cancellationToken);
            }
            else
            {
                await connection.WriteMessageAsync(CompletionMessage.WithError(invocation.InvocationId!, $"Invocation failed, status code {reply.Status}"), cancellationToken);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidOperationException)
        {
            LogUpstreamFailed(logger, ex, connection.ConnectionId, invocation.Target);
            if (invocation.IsBlocking)
            {
                await connection.WriteMessageAsync(CompletionMessage.WithError(invocation.InvocationId!, "Invocation failed, upstream unreachable"), CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && invocation.IsBlocking)
        {
            // The upstream call timed out (the connection is still open): the client hears it, as from the service.
            LogUpstreamTimedOut(logger, connection.ConnectionId, invocation.Target);
            await connection.WriteMessageAsync(CompletionMessage.WithError(invocation.InvocationId!, "Invocation failed, upstream timed out"), CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static bool IsTransportFailure(Exception ex)
        => ex is System.Net.WebSockets.WebSocketException or IOException or ConnectionAbortedException or ConnectionResetException;

    private static async Task PingAsync(LocalConnection connection, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(KeepAlive);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await connection.WriteMessageAsync(PingMessage.Instance, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || IsTransportFailure(ex))
        {
            // The connection is ending; its read loop reports why.
        }
    }

    [LoggerMessage(EventId = 810, Level = LogLevel.Information, Message = "refused client {ConnectionId}: {Error}")]
    private static partial void LogRefused(ILogger logger, string connectionId, string error);

    [LoggerMessage(EventId = 801, Level = LogLevel.Warning, Message = "upstream call for {ConnectionId} ({Event}) timed out")]
    private static partial void LogUpstreamTimedOut(ILogger logger, string connectionId, string @event);

    [LoggerMessage(EventId = 800, Level = LogLevel.Warning, Message = "upstream call for {ConnectionId} ({Event}) failed")]
    private static partial void LogUpstreamFailed(ILogger logger, Exception exception, string connectionId, string @event);
}
