using System.Text.Json.Serialization;
using FunctionsGateway.Core.Methods;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Sessions;

/// <summary><c>sessions.*</c> (but spawn) and <c>chat.history</c>.</summary>
public sealed class SessionMethodHandler(SessionAccess access, SessionService service, ISessionStore sessions, ISessionSubscriptions subscriptions)
    : IMethodHandler
{
    public IReadOnlyCollection<string> Methods { get; } =
    [
        GatewayMethods.SessionsList, GatewayMethods.SessionsGet, GatewayMethods.SessionsSubscribe, GatewayMethods.SessionsUnsubscribe,
        GatewayMethods.SessionsPatch, GatewayMethods.SessionsReset, GatewayMethods.SessionsDelete, GatewayMethods.ChatHistory,
    ];

    public async Task<GatewayResponse> HandleAsync(MethodContext context, CancellationToken cancellationToken)
    {
        if (context.Method == GatewayMethods.SessionsList)
        {
            return await ListAsync(context, cancellationToken);
        }

        var p = context.Bind<SessionParams>();
        if (context.Method == GatewayMethods.SessionsPatch)
        {
            return await access.AuthorizeAsync(context, p.SessionKey, cancellationToken)
                ?? await service.PatchAsync(context.Principal, p.SessionKey!, new SessionPatch(p.Label, p.Model, p.SpawnedBy, p.Depth, p.SpawnRunId, p.Cleanup), cancellationToken);
        }

        var (session, refusal) = await access.OpenAsync(context, p.SessionKey, cancellationToken);
        if (session is null)
        {
            return refusal!;
        }

        var key = session.SessionKey;
        switch (context.Method)
        {
            case GatewayMethods.SessionsGet:
                var children = await sessions.ListChildrenAsync(key, cancellationToken);
                return GatewayResponse.Success(new { session = SessionView.From(session), children = children.Select(ChildView.From) });
            case GatewayMethods.SessionsSubscribe:
                await subscriptions.SubscribeAsync(context.Call.ConnectionId, key, cancellationToken);
                return GatewayResponse.Success(new { sessionKey = key, subscribed = true });
            case GatewayMethods.SessionsUnsubscribe:
                await subscriptions.UnsubscribeAsync(context.Call.ConnectionId, key, cancellationToken);
                return GatewayResponse.Success(new { sessionKey = key, subscribed = false });
            case GatewayMethods.SessionsReset:
                await sessions.ClearChatAsync(key, cancellationToken);
                return GatewayResponse.Success(new { sessionKey = key, reset = true });
            case GatewayMethods.SessionsDelete:
                return await service.DeleteAsync(session, cancellationToken);
            default:
                var limit = p.Limit ?? 50;
                if (limit is < 1 or > 200)
                {
                    throw new InvalidParamsException("limit must be 1..200");
                }

                var messages = await sessions.ListChatAsync(key, limit, cancellationToken);
                return GatewayResponse.Success(new { sessionKey = key, messages });
        }
    }

    private async Task<GatewayResponse> ListAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var p = context.Bind<SessionParams>();
        var limit = p.Limit ?? 100;
        if (limit is < 1 or > 500)
        {
            throw new InvalidParamsException("limit must be 1..500");
        }

        // A sub-agent sees only its own session.
        if (context.Principal.IsInternal)
        {
            var own = context.Principal.BoundSessionKey is { } bound ? await access.FindAsync(bound, cancellationToken) : null;
            return GatewayResponse.Success(new { sessions = own is null ? [] : new[] { SessionView.From(own) } });
        }

        var stored = await sessions.ListAsync(limit, cancellationToken);
        return GatewayResponse.Success(new { sessions = stored.Select(SessionView.From) });
    }

    private sealed class SessionParams
    {
        [JsonPropertyName("sessionKey")] public string? SessionKey { get; set; }
        [JsonPropertyName("label")] public string? Label { get; set; }
        [JsonPropertyName("model")] public string? Model { get; set; }
        [JsonPropertyName("spawnedBy")] public string? SpawnedBy { get; set; }
        [JsonPropertyName("depth")] public int? Depth { get; set; }
        [JsonPropertyName("spawnRunId")] public string? SpawnRunId { get; set; }
        [JsonPropertyName("cleanup")] public string? Cleanup { get; set; }
        [JsonPropertyName("limit")] public int? Limit { get; set; }
    }
}

public sealed record SessionView(
    string SessionKey, string AgentId, string? Label, string? Model, string? SpawnedBy, int Depth, long? CreatedAtMs,
    int ActiveChildren, int LifetimeChildren, string? SpawnRunId)
{
    public static SessionView From(SessionRecord s) => new(s.SessionKey, s.AgentId, s.Label, s.Model, s.SpawnedBy, s.Depth,
        s.Stored ? s.CreatedAt.ToUnixTimeMilliseconds() : null, s.ActiveChildren, s.LifetimeChildren, s.SpawnRunId);
}

public sealed record ChildView(string ChildSessionKey, string RunId, string Status, string? Label, long CreatedAtMs)
{
    public static ChildView From(SessionChildRecord c) => new(c.ChildSessionKey, c.RunId, c.Status, c.Label, c.CreatedAt.ToUnixTimeMilliseconds());
}
