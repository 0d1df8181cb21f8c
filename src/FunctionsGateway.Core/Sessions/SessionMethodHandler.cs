using System.Text.Json.Serialization;
using FunctionsGateway.Core.Methods;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Sessions;

/// <summary><c>sessions.*</c> (but spawn) and <c>chat.history</c>.</summary>
public sealed class SessionMethodHandler(SessionAccess access, SessionService service, ISessionStore sessions, ISessionSubscriptions subscriptions, IRunStatusLookup runs)
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
                return GatewayResponse.Success(new { session = SessionView.From(session), children = await WithRunStatusAsync(children, cancellationToken) });
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

    /// <summary>
    /// A child whose run has not ended shows its run's state now (one point read each, at most the active-children
    /// limit): <c>accepted</c> until the spawn function has created the run, then <c>queued</c> or <c>running</c>.
    /// </summary>
    private async Task<ChildView[]> WithRunStatusAsync(IReadOnlyList<SessionChildRecord> children, CancellationToken cancellationToken)
    {
        var views = new ChildView[children.Count];
        for (var i = 0; i < children.Count; i++)
        {
            var child = children[i];
            var runStatus = child.Status == SessionService.SpawningStatus
                ? await runs.StatusOfAsync(child.RunId, cancellationToken) ?? SpawnStatuses.Accepted
                : null;
            views[i] = ChildView.From(child) with { RunStatus = runStatus };
        }

        return views;
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

/// <summary>
/// A child of a session: <c>status</c> is <c>spawning</c> while its run has not ended (<c>runStatus</c> then says how
/// far it got), then the run's end status, then <c>deleted</c> once a <c>cleanup: "delete"</c> removed the child session.
/// </summary>
public sealed record ChildView(string ChildSessionKey, string RunId, string Status, string? Label, long CreatedAtMs, string? RunStatus = null)
{
    public static ChildView From(SessionChildRecord c) => new(c.ChildSessionKey, c.RunId, c.Status, c.Label, c.CreatedAt.ToUnixTimeMilliseconds());
}
