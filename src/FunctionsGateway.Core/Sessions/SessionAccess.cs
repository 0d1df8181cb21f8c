using FunctionsGateway.Core.Audit;
using FunctionsGateway.Core.Methods;
using FunctionsGateway.Protocol;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Core.Sessions;

/// <summary>
/// Which session a call may touch. Every caller needs a well-formed key; a sub-agent identity, whatever its scopes,
/// reaches only the child session it was created for, and each refusal is audited.
/// </summary>
public sealed partial class SessionAccess(ISessionStore sessions, AuditLog audit, ILogger<SessionAccess> logger)
{
    public const string BoundaryAction = AuditActions.BoundaryRefused;

    /// <summary>The session named by <paramref name="sessionKey"/> if it exists and the caller may act on it, else the refusal.</summary>
    public async Task<(SessionRecord? Session, GatewayResponse? Refusal)> OpenAsync(MethodContext context, string? sessionKey, CancellationToken cancellationToken)
    {
        if (await AuthorizeAsync(context, sessionKey, cancellationToken) is { } refusal)
        {
            return (null, refusal);
        }

        var session = await FindAsync(sessionKey!, cancellationToken);
        return session is null
            ? (null, GatewayResponse.Invalid("session not found: " + sessionKey, DetailCodes.SessionNotFound))
            : (session, null);
    }

    /// <summary>Shape and boundary, with boundary refusals audited: null when the caller may name this key.</summary>
    public async Task<GatewayResponse?> AuthorizeAsync(MethodContext context, string? sessionKey, CancellationToken cancellationToken)
        => Check(context, sessionKey) is { } refusal ? await AuditIfBoundaryAsync(context, sessionKey!, refusal, cancellationToken) : null;

    /// <summary>A stored session, or the implicit main session of an agent.</summary>
    public async Task<SessionRecord?> FindAsync(string sessionKey, CancellationToken cancellationToken)
    {
        if (!SessionKeys.TryParse(sessionKey, out var agentId, out var isMain))
        {
            return null;
        }

        if (await sessions.GetAsync(sessionKey, cancellationToken) is { } stored)
        {
            return stored;
        }

        return isMain ? SessionRecord.ImplicitMain(sessionKey, agentId) : null;
    }

    /// <summary>Shape and boundary only (no storage): null when the caller may name this key.</summary>
    public static GatewayResponse? Check(MethodContext context, string? sessionKey)
    {
        if (string.IsNullOrEmpty(sessionKey))
        {
            throw new InvalidParamsException("sessionKey is required");
        }

        if (!SessionKeys.TryParse(sessionKey, out _, out _))
        {
            return GatewayResponse.Invalid("invalid session key: expected agent:<agentId>:main or agent:<agentId>:subagent:<32 hex>", DetailCodes.InvalidSessionKey);
        }

        var principal = context.Principal;
        if (principal.IsInternal && !string.Equals(principal.BoundSessionKey, sessionKey, StringComparison.Ordinal))
        {
            return GatewayResponse.Invalid($"a sub-agent identity may act only on its own session, not {sessionKey}", DetailCodes.InternalIdentityBoundary,
                new { sessionKey, boundSessionKey = principal.BoundSessionKey });
        }

        return null;
    }

    private async Task<GatewayResponse> AuditIfBoundaryAsync(MethodContext context, string sessionKey, GatewayResponse refusal, CancellationToken cancellationToken)
    {
        if ((refusal.Error?.Details as ErrorDetails)?.Code == DetailCodes.InternalIdentityBoundary)
        {
            var p = context.Principal;
            LogBoundary(logger, p.DeviceId, context.Method, sessionKey, p.BoundSessionKey);
            await audit.WriteAsync(new AuditRecord(BoundaryAction, p.DeviceId, "device:" + p.DeviceId, p.Scopes, p.Scopes,
                $"{context.Method} on {sessionKey}; bound to {p.BoundSessionKey}", null, GatewayRoles.Name(p.Role)), cancellationToken);
        }

        return refusal;
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Warning, Message = "sub-agent {DeviceId} refused: {Method} on {SessionKey}, bound to {BoundSessionKey}")]
    private static partial void LogBoundary(ILogger logger, string deviceId, string method, string sessionKey, string? boundSessionKey);
}
