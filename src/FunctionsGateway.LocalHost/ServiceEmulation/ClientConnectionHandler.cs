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
    public const int MaxMessageBytes = 1024 * 1024;
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);
    private static readonly IHubProtocol Json = new JsonHubProtocol();
    private static readonly IHubProtocol MessagePack = new MessagePackHubProtocol();

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var http = connection.GetHttpContext();
        var hub = http?.Request.Query["hub"].ToString() ?? string.Empty;
        var user = connection.Features.Get<IConnectionUserFeature>()?.User?.FindFirst(ClaimTypes.NameIdentifier)?.Value;
        var input = connection.Transport.Input;

        var protocol = await HandshakeAsync(connection, input);
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
        try
        {
            await upstream.ConnectedAsync(local, loop.Token);
            var pings = PingAsync(local, loop.Token);
            error = await ReadLoopAsync(local, input, loop.Token);
            await loop.CancelAsync();
            await pings;
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
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
    }

    /// <summary>Reads frames until the client leaves or the service closes it; returns an error text for a bad stream.</summary>
    private async Task<string?> ReadLoopAsync(LocalConnection connection, PipeReader input, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            try
            {
                while (HubFrames.TryRead(ref buffer, connection.Protocol, MaxMessageBytes, out var frame, out var tooLarge))
                {
                    await OnFrameAsync(connection, frame, cancellationToken);
                }

                if (buffer.Length > MaxMessageBytes + 8)
                {
                    await connection.CloseAsync("message too large");
                    return "message too large";
                }
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }

            if (result.IsCompleted)
            {
                return null;
            }
        }

        return null;
    }

    private async Task OnFrameAsync(LocalConnection connection, byte[] frame, CancellationToken cancellationToken)
    {
        try
        {
            await OnFrameCoreAsync(connection, frame, cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or System.Text.Json.JsonException)
        {
            // A frame no parser accepts: the service closes with an error rather than dropping the socket.
            await connection.CloseAsync("invalid message: " + ex.Message);
        }
    }

    private async Task OnFrameCoreAsync(LocalConnection connection, byte[] frame, CancellationToken cancellationToken)
    {
        switch (HubFrames.MessageType(frame, connection.Protocol))
        {
            case SignalR.Serverless.HubProtocolConstants.InvocationType:
                if (!HubInvocationReader.TryRead(frame, connection.Protocol, out var invocation, out var error) || invocation is null)
                {
                    await connection.CloseAsync("invalid invocation: " + error);
                    return;
                }

                // Each invocation is its own upstream request, as the service makes it, and, as the service does, a
                // connection's invocations go one at a time: answers come back in order, and one connection's flood of
                // calls waits on itself instead of on everyone. A client leaving does not cancel work already handed over.
                await ForwardAsync(connection, invocation, frame, connection.Closing);
                return;
            case SignalR.Serverless.HubProtocolConstants.StreamInvocationType:
                if (HubFrames.TryGetInvocationId(frame, connection.Protocol, out var streamId))
                {
                    await connection.WriteMessageAsync(CompletionMessage.WithError(streamId, "Streaming is not supported in serverless mode."), cancellationToken);
                }

                return;
            case 7:
                await connection.CloseAsync(null);
                return;
            default:
                // Pings, acks and cancellations need nothing from the app.
                return;
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
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(EventId = 801, Level = LogLevel.Warning, Message = "upstream call for {ConnectionId} ({Event}) timed out")]
    private static partial void LogUpstreamTimedOut(ILogger logger, string connectionId, string @event);

    [LoggerMessage(EventId = 800, Level = LogLevel.Warning, Message = "upstream call for {ConnectionId} ({Event}) failed")]
    private static partial void LogUpstreamFailed(ILogger logger, Exception exception, string connectionId, string @event);
}
