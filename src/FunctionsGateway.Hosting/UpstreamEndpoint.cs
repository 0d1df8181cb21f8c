using System.Buffers;
using System.Text.Json;
using FunctionsGateway.Core.Admission;
using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Dispatch;
using FunctionsGateway.Core.Methods;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Core.Resilience;
using FunctionsGateway.Core.Telemetry;
using FunctionsGateway.Protocol;
using FunctionsGateway.SignalR.Serverless;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Hosting;

/// <summary>
/// The SignalR upstream (docs/protocol.md §6.4): checks the service's signature or bearer token, then turns each client <c>req</c> invocation
/// into a dispatcher call and answers with a framed Completion in the client's own protocol.
/// </summary>
public sealed partial class UpstreamEndpoint(
    GatewayDispatcher dispatcher,
    ConnectionLifecycle lifecycle,
    ConnectionCloseScheduler closer,
    SignalRServiceOptions signalR,
    UpstreamAuthentication authentication,
    CallDeadlines deadlines,
    IOptions<GatewayOptions> gatewayOptions,
    ILogger<UpstreamEndpoint> logger)
{
    private readonly GatewayOptions options = gatewayOptions.Value;
    private readonly InFlightCalls inFlight = new();

    /// <summary>The service's own ceiling for a client message; beyond it the body is not even read.</summary>
    public const int HardBodyLimit = 1024 * 1024;

    /// <summary>One upstream request, measured and traced when anyone listens (<see cref="UpstreamTelemetry"/>).</summary>
    public Task<HttpReply> HandleAsync(HttpRequest request, CancellationToken cancellationToken)
        => UpstreamTelemetry.On ? UpstreamTelemetry.MeasureAsync(request, HandleRequestAsync, cancellationToken) : HandleRequestAsync(request, cancellationToken);

    private async Task<HttpReply> HandleRequestAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        // The signature first (no bearer work when it verifies), else the service identity's Entra token: nothing else
        // about an unauthenticated request is looked at, not even its other headers.
        var headers = UpstreamHeaders.From(request);
        if (!UpstreamSignature.IsValid(headers.Signature, headers.ConnectionId, signalR.AccessKeys)
            && await authentication.RefuseUnsignedAsync(request, headers, cancellationToken) is { } refusal)
        {
            return refusal;
        }

        if (!headers.HasRequiredHeaders)
        {
            return HttpReply.Text(400, "missing X-ASRS-Connection-Id, -Hub, -Category or -Event");
        }

        if (!headers.IsHub(GatewayProtocol.Hub))
        {
            return HttpReply.Text(404, "no handler for hub " + headers.Hub);
        }

        var connectionId = headers.ConnectionId!;
        switch (headers.CategoryKind)
        {
            case UpstreamCategory.Connections when headers.IsConnectedEvent:
                return HttpReply.Empty(200);
            case UpstreamCategory.Connections when headers.IsDisconnectedEvent:
                return await DisconnectedAsync(connectionId, cancellationToken);
            case UpstreamCategory.Messages:
                break;
            default:
                return HttpReply.Text(404, $"no handler for {headers.Category}/{headers.Event}");
        }

        if (!headers.TryGetProtocol(out var protocol))
        {
            return HttpReply.Text(415, "content type must be application/json or application/x-msgpack");
        }

        var body = await ReadBodyAsync(request, cancellationToken);
        if (body is null)
        {
            return HttpReply.Text(413, "invocation larger than " + HardBodyLimit + " bytes");
        }

        if (!HubInvocationReader.TryRead(body, protocol, out var invocation, out var error) || invocation is null)
        {
            return HttpReply.Text(400, "malformed invocation: " + error);
        }

        // Before anything reads storage: one connection's calls arriving all at once cannot crowd out everyone else's.
        var limit = options.MaxInFlightPerConnection;
        if (!inFlight.TryEnter(connectionId, limit))
        {
            LogTooManyInFlight(logger, connectionId, limit);
            GatewayMetrics.Denied(null, TooManyInFlight(limit), isInternal: false);
            return invocation.IsBlocking
                ? Completion(protocol, invocation.InvocationId!, TooManyInFlight(limit))
                : HttpReply.Text(429, $"connection {connectionId} already has {limit} calls in flight");
        }

        try
        {
            return await AnswerAsync(connectionId, headers.UserId, invocation, protocol, body.Length, cancellationToken);
        }
        finally
        {
            inFlight.Exit(connectionId);
        }
    }

    /// <summary>The refusal past <see cref="GatewayOptions.MaxInFlightPerConnection"/>: retry once an earlier call has answered.</summary>
    public static GatewayResponse TooManyInFlight(int limit)
        => GatewayResponse.Failure(ErrorCodes.Unavailable,
            $"too many calls in flight on this connection (the limit is {limit}); retry once an earlier call has answered",
            new ErrorDetails(DetailCodes.TooManyInFlight, new { limit }));

    private async Task<HttpReply> AnswerAsync(string connectionId, string? userId, HubInvocation invocation, HubProtocolKind protocol, int bodyLength, CancellationToken cancellationToken)
    {
        DispatchResult result;
        try
        {
            result = await DispatchAsync(connectionId, userId, invocation, bodyLength, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The dispatcher answers its own failures; this is the last line before a 500 the client cannot read.
            LogUnexpected(logger, ex, connectionId);
            result = new(GatewayResponse.Failure(ErrorCodes.Unavailable, "the gateway could not complete the request; retry"));
        }

        if (result.CloseAfterReason is { } reason)
        {
            // A function cannot act after it returns: the close is queued so it lands after this completion.
            await ScheduleCloseAsync(connectionId, reason, cancellationToken);
        }

        return invocation.IsBlocking ? Completion(protocol, invocation.InvocationId!, result.Response) : HttpReply.Empty(200);
    }

    private static HttpReply Completion(HubProtocolKind protocol, string invocationId, GatewayResponse response)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        HubCompletionWriter.WriteResult(buffer, protocol, invocationId, JsonSerializer.SerializeToUtf8Bytes(response, GatewayJson.Options));
        return new HttpReply(200, HubProtocolContentType.ToContentType(protocol), buffer.WrittenMemory);
    }

    /// <summary>Validates the frame's shape; every problem becomes a structured error, never a 500.</summary>
    public async Task<DispatchResult> DispatchAsync(string connectionId, string? userId, HubInvocation invocation, int bodyLength, CancellationToken cancellationToken)
    {
        if (Refusal(invocation, bodyLength, out var request) is { } refusal)
        {
            // The dispatcher counts what it answers; these never reach it.
            GatewayMetrics.Denied(null, refusal, isInternal: false);
            return new(refusal);
        }

        UpstreamTelemetry.NoteMethod(request.Method);
        return await dispatcher.DispatchAsync(new CallContext(connectionId, CallOrigin.Network, userId), request, cancellationToken);
    }

    private GatewayResponse? Refusal(HubInvocation invocation, int bodyLength, out GatewayRequest request)
    {
        request = null!;
        if (!string.Equals(invocation.Target, GatewayProtocol.RequestTarget, StringComparison.OrdinalIgnoreCase))
        {
            return GatewayResponse.Invalid($"unknown target '{invocation.Target}': every call is the invocation '{GatewayProtocol.RequestTarget}'", DetailCodes.MalformedFrame);
        }

        if (bodyLength > options.MaxPayloadBytes)
        {
            return GatewayResponse.Invalid($"payload too large: {bodyLength} bytes, the limit is {options.MaxPayloadBytes}", DetailCodes.PayloadTooLarge,
                new { maxPayload = options.MaxPayloadBytes });
        }

        return TryReadRequest(invocation.Arguments, out request, out var problem) ? null : GatewayResponse.Invalid("malformed request: " + problem, DetailCodes.MalformedFrame);
    }

    /// <summary><c>req</c> takes exactly one argument, <c>{method: string, params?: any}</c>.</summary>
    public static bool TryReadRequest(ReadOnlyMemory<byte> argumentsJson, out GatewayRequest request, out string problem)
    {
        request = null!;
        try
        {
            // Parsed in place: params are cloned out, so the document can go.
            using var doc = JsonDocument.Parse(argumentsJson, new JsonDocumentOptions { MaxDepth = 64 });
            var args = doc.RootElement;
            if (args.ValueKind != JsonValueKind.Array || args.GetArrayLength() != 1)
            {
                problem = "req takes exactly one argument {method, params}";
                return false;
            }

            var arg = args[0];
            if (arg.ValueKind != JsonValueKind.Object)
            {
                problem = "the argument must be an object {method, params}";
                return false;
            }

            if (!arg.TryGetProperty("method", out var method) || method.ValueKind != JsonValueKind.String || method.GetString() is not { Length: > 0 and <= 128 } name)
            {
                problem = "method must be a non-empty string of at most 128 characters";
                return false;
            }

            var parameters = arg.TryGetProperty("params", out var p) ? p.Clone() : default;
            request = new GatewayRequest(name, parameters);
            problem = string.Empty;
            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: valid JSON that is not a valid string (a lone surrogate escape).
            problem = ex.Message;
            return false;
        }
    }

    /// <summary>
    /// Under the storage deadline: a stall answers 503 at once and leaves the row, which the periodic sweep removes once
    /// the service says the connection is gone.
    /// </summary>
    private async Task<HttpReply> DisconnectedAsync(string connectionId, CancellationToken cancellationToken)
    {
        using var deadline = deadlines.Start(cancellationToken);
        try
        {
            await lifecycle.DisconnectedAsync(connectionId, deadline.Token);
            return HttpReply.Empty(200);
        }
        catch (Exception ex) when (deadline.IsStorageFault(ex))
        {
            LogDisconnectDeferred(logger, connectionId);
            return HttpReply.Empty(503);
        }
    }

    /// <summary>
    /// Under the storage deadline: the answer goes out even when the close cannot be queued. The row is already marked
    /// closed, so the connection can do nothing more, and the sweep ends it later.
    /// </summary>
    private async Task ScheduleCloseAsync(string connectionId, string reason, CancellationToken cancellationToken)
    {
        using var deadline = deadlines.Start(cancellationToken);
        try
        {
            await closer.ScheduleAsync(connectionId, reason, deadline.Token);
        }
        catch (Exception ex) when (deadline.IsStorageFault(ex))
        {
            LogCloseNotQueued(logger, connectionId, reason);
        }
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > HardBodyLimit)
        {
            return null;
        }

        using var memory = new MemoryStream(request.ContentLength is > 0 and <= HardBodyLimit ? (int)request.ContentLength.Value : 1024);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if (memory.Length + read > HardBodyLimit)
                {
                    return null;
                }

                memory.Write(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return memory.ToArray();
    }

    [LoggerMessage(EventId = 502, Level = LogLevel.Debug, Message = "refused a call on {ConnectionId}: {Limit} calls already in flight")]
    private static partial void LogTooManyInFlight(ILogger logger, string connectionId, int limit);

    [LoggerMessage(EventId = 501, Level = LogLevel.Error, Message = "upstream invocation on {ConnectionId} failed unexpectedly")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string connectionId);

    [LoggerMessage(EventId = 504, Level = LogLevel.Warning, Message = "disconnect of {ConnectionId} not recorded: storage did not answer in time; the sweep removes its row later")]
    private static partial void LogDisconnectDeferred(ILogger logger, string connectionId);

    [LoggerMessage(EventId = 505, Level = LogLevel.Warning, Message = "close of {ConnectionId} ({Reason}) not queued: storage did not answer in time")]
    private static partial void LogCloseNotQueued(ILogger logger, string connectionId, string reason);
}
