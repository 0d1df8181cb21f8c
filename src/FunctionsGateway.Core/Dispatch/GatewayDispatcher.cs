using System.Collections.Frozen;
using FunctionsGateway.Core.Admission;
using FunctionsGateway.Core.Authorization;
using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Methods;
using FunctionsGateway.Core.Resilience;
using FunctionsGateway.Core.Telemetry;
using FunctionsGateway.Protocol;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Core.Dispatch;

/// <summary>
/// Every call, network or internal, goes through here: admission methods, then per-request authorization
/// against the connection's effective scopes before any handler runs (docs/protocol.md §2). Each call runs under a
/// deadline: storage that stalls past it answers <c>UNAVAILABLE</c> with a retry hint (docs/protocol.md §8).
/// </summary>
public sealed partial class GatewayDispatcher
{
    private readonly AdmissionService admission;
    private readonly IConnectionStore connections;
    private readonly TimeProvider time;
    private readonly CallDeadlines deadlines;
    private readonly ILogger<GatewayDispatcher> logger;
    private readonly FrozenDictionary<string, IMethodHandler> handlers;

    public GatewayDispatcher(AdmissionService admission, IConnectionStore connections, IEnumerable<IMethodHandler> handlers, TimeProvider time,
        CallDeadlines deadlines, ILogger<GatewayDispatcher> logger)
    {
        this.admission = admission;
        this.connections = connections;
        this.time = time;
        this.deadlines = deadlines;
        this.logger = logger;
        var map = new Dictionary<string, IMethodHandler>(StringComparer.Ordinal);
        foreach (var handler in handlers)
        {
            foreach (var method in handler.Methods)
            {
                if (GatewayMethods.Resolve(method).Access == MethodAccess.Unclassified)
                {
                    throw new InvalidOperationException($"Handler {handler.GetType().Name} answers '{method}', which the method table does not classify.");
                }

                map.Add(method, handler);
            }
        }

        this.handlers = map.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public IReadOnlyCollection<string> HandledMethods => handlers.Keys;

    /// <summary>
    /// Answers one call. Cancelled by <paramref name="cancellationToken"/> (the caller gone, the host stopping) it throws;
    /// past its deadline it answers <c>UNAVAILABLE</c>.
    /// </summary>
    public async Task<DispatchResult> DispatchAsync(CallContext call, GatewayRequest request, CancellationToken cancellationToken)
    {
        var isInternal = call.Origin == CallOrigin.Internal;
        using var activity = GatewayActivities.StartDispatch(request.Method, isInternal);
        try
        {
            var result = await DispatchWithinDeadlineAsync(call, request, cancellationToken);
            GatewayActivities.Answered(activity, result.Response);
            GatewayMetrics.Denied(request.Method, result.Response, isInternal);
            if (request.Method == GatewayMethods.Connect)
            {
                GatewayMetrics.Handshake(result.Response, isInternal);
            }

            return result;
        }
        catch (Exception ex)
        {
            GatewayActivities.Failed(activity, ex);
            throw;
        }
    }

    private async Task<DispatchResult> DispatchWithinDeadlineAsync(CallContext call, GatewayRequest request, CancellationToken cancellationToken)
    {
        using var deadline = deadlines.Start(cancellationToken, WaitBudget(request.Method));
        try
        {
            return await DispatchCoreAsync(call, request, deadline.Token);
        }
        catch (InvalidParamsException ex)
        {
            return new(GatewayResponse.Invalid("invalid params: " + ex.Message, DetailCodes.InvalidParams));
        }
        catch (Exception ex) when (deadline.IsStorageFault(ex))
        {
            // Expected while storage stalls: one line per call, no stack trace.
            LogStorageUnavailable(logger, request.Method, call.ConnectionId, ex.GetType().Name, ex.Message);
            return new(deadlines.Unavailable());
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogHandlerFailed(logger, ex, request.Method, call.ConnectionId);
            return new(GatewayResponse.Failure(ErrorCodes.Unavailable, "the gateway could not complete the request; retry"));
        }
    }

    /// <summary>Time a method waits by design (agent.wait), on top of the storage deadline.</summary>
    private TimeSpan WaitBudget(string? method)
        => method is not null && handlers.TryGetValue(method, out var handler) ? handler.WaitBudget(method) : TimeSpan.Zero;

    private async Task<DispatchResult> DispatchCoreAsync(CallContext call, GatewayRequest request, CancellationToken cancellationToken)
    {
        var method = request.Method;
        if (string.IsNullOrEmpty(method))
        {
            return new(GatewayResponse.Invalid("invalid request: method is required", DetailCodes.MalformedFrame));
        }

        var rule = GatewayMethods.Resolve(method);
        switch (rule.Access)
        {
            case MethodAccess.Always:
                return new(GatewayResponse.Success(new { status = "ok", ts = time.GetUtcNow().ToUnixTimeMilliseconds() }));
            case MethodAccess.Admission when method == GatewayMethods.ConnectChallenge:
                return new(await admission.ChallengeAsync(call, cancellationToken));
            case MethodAccess.Admission:
                return await admission.ConnectAsync(call, request.Params, cancellationToken);
        }

        // The one point read an admitted call costs.
        var row = await connections.GetAsync(call.ConnectionId, cancellationToken);
        if (row is null || row.State == ConnectionState.Challenged || row.DeviceId is null || row.Role is null)
        {
            return new(GatewayResponse.Invalid("handshake required: call connect.challenge then connect first", DetailCodes.HandshakeRequired));
        }

        if (row.State == ConnectionState.Closed)
        {
            return new(GatewayResponse.Invalid("connection closed: " + row.ClosedReason, DetailCodes.ConnectionClosed));
        }

        if (!GatewayRoles.TryParse(row.Role, out var role))
        {
            return new(GatewayResponse.Invalid("unauthorized role: " + row.Role, DetailCodes.UnauthorizedRole));
        }

        var scopes = (ScopeSet)row.ScopeMask;
        var decision = MethodAuthorizer.Authorize(role, scopes, rule);
        switch (decision.Outcome)
        {
            case AuthorizationOutcome.UnauthorizedRole:
                return new(GatewayResponse.Invalid("unauthorized role: " + row.Role, DetailCodes.UnauthorizedRole));
            case AuthorizationOutcome.MissingScope:
                LogDenied(logger, method, call.ConnectionId, OperatorScopes.Name(decision.MissingScope));
                return new(Denials.MissingScope(decision.MissingScope));
            case AuthorizationOutcome.AdmissionOnly:
                return new(GatewayResponse.Invalid("already connected: a connection performs one handshake", DetailCodes.AlreadyConnected));
        }

        if (row.IsInternal && call.Origin != CallOrigin.Internal)
        {
            return new(GatewayResponse.Invalid("a sub-agent connection is reachable only in process", DetailCodes.InternalIdentityBoundary));
        }

        if (row.IsInternal && !GatewayMethods.InternalIdentityMethods.Contains(method))
        {
            return new(GatewayResponse.Invalid($"a sub-agent identity may not call {method}", DetailCodes.InternalIdentityBoundary));
        }

        if (!handlers.TryGetValue(method, out var handler))
        {
            return new(GatewayResponse.Invalid("unknown method: " + method, DetailCodes.UnknownMethod));
        }

        var principal = new GatewayPrincipal(call.ConnectionId, row.DeviceId, role, scopes, row.IsInternal, row.BoundSessionKey);
        var context = new MethodContext(call, principal, method, request.Params);
        var response = await handler.HandleAsync(context, cancellationToken);
        return new(response, context.CloseAfterReason);
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "denied {Method} on {ConnectionId}: missing scope {Scope}")]
    private static partial void LogDenied(ILogger logger, string method, string connectionId, string scope);

    [LoggerMessage(EventId = 402, Level = LogLevel.Warning, Message = "{Method} on {ConnectionId} answered UNAVAILABLE: storage did not answer in time ({Fault}: {Reason})")]
    private static partial void LogStorageUnavailable(ILogger logger, string method, string connectionId, string fault, string reason);

    [LoggerMessage(EventId = 401, Level = LogLevel.Error, Message = "handler for {Method} failed on {ConnectionId}")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string method, string connectionId);
}
