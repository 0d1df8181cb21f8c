using System.Text.Json.Serialization;
using FunctionsGateway.Core.Events;
using FunctionsGateway.Core.Methods;
using FunctionsGateway.Core.Runs;
using FunctionsGateway.Core.Sessions;
using FunctionsGateway.Protocol;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Core.SubAgents;

/// <summary>
/// <c>sessions.spawn</c>: checks every limit, reserves a child slot on the requester session, queues the spawn and
/// answers <c>accepted</c> at once. An idempotency key makes a retry answer the same run and child.
/// </summary>
public sealed class SpawnMethodHandler(
    SessionAccess access,
    ISessionStore sessions,
    SessionService children,
    IRunStore runs,
    ISpawnQueue queue,
    IGatewayNotifier notifier,
    IOptions<SubAgentOptions> subAgentOptions,
    IOptions<RunOptions> runOptions,
    TimeProvider time) : IMethodHandler
{
    public const string SpawningStatus = SessionService.SpawningStatus;

    /// <summary>Each lost race means another spawn won a slot, so a loser is bounded by the slots there are to win.</summary>
    private const int MaxAttempts = 32;

    public IReadOnlyCollection<string> Methods { get; } = [GatewayMethods.SessionsSpawn];

    public async Task<GatewayResponse> HandleAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var p = context.Bind<SpawnParams>();
        var (requester, refusal) = await access.OpenAsync(context, p.SessionKey, cancellationToken);
        if (requester is null)
        {
            return refusal!;
        }

        if (Validate(p, requester) is { } invalid)
        {
            return invalid;
        }

        if (p.IdempotencyKey is { } key && await sessions.FindReservationAsync(requester.SessionKey, key, cancellationToken) is { } earlier)
        {
            return await AcceptedAgainAsync(earlier, p, requester, context, cancellationToken);
        }

        var limits = subAgentOptions.Value;
        var agentId = p.AgentId ?? requester.AgentId;
        var child = new SessionChildRecord
        {
            SessionKey = requester.SessionKey,
            ChildSessionKey = SessionKeys.Subagent(agentId, Guid.NewGuid()),
            RunId = Guid.NewGuid().ToString("N"),
            Status = SpawningStatus,
            Label = p.Label,
            CreatedAt = time.GetUtcNow(),
        };
        var current = requester;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            // The reservation is a conditional write of the requester row: a lost race reads the counters again.
            if (attempt > 0)
            {
                current = await access.FindAsync(requester.SessionKey, cancellationToken) ?? requester;
            }

            if (current.ActiveChildren >= limits.MaxActiveChildren)
            {
                return Limit("maxActiveChildren", limits.MaxActiveChildren, $"session {current.SessionKey} already has {current.ActiveChildren} running children");
            }

            if (current.LifetimeChildren >= limits.MaxChildrenPerSession)
            {
                return Limit("maxChildrenPerSession", limits.MaxChildrenPerSession, $"session {current.SessionKey} has spawned {current.LifetimeChildren} children");
            }

            current.ActiveChildren++;
            current.LifetimeChildren++;
            if (!current.Stored)
            {
                current.CreatedAt = time.GetUtcNow();
            }

            if (await sessions.TryReserveChildAsync(current, child, p.IdempotencyKey, cancellationToken))
            {
                try
                {
                    await queue.EnqueueAsync(Request(child, p, requester, context), cancellationToken);
                }
                catch (Exception) when (!cancellationToken.IsCancellationRequested)
                {
                    // Nothing will start this child: give the slot back before the caller hears it failed.
                    await children.EndChildAsync(child.SessionKey, child.ChildSessionKey, RunStatuses.Failed, row => row.Status == SpawningStatus, cancellationToken);
                    throw;
                }

                // Watchers of the requester see the child at once; its run's states follow as run.status (protocol §7).
                await notifier.PublishAsync(EventAudience.Session(requester.SessionKey), GatewayEvents.SubagentSpawned,
                    new SubagentSpawnedEvent(requester.SessionKey, child.ChildSessionKey, child.RunId, SpawnStatuses.Accepted, agentId, child.Label,
                        p.Cleanup ?? SpawnCleanup.Keep, child.CreatedAt.ToUnixTimeMilliseconds()), cancellationToken);
                return GatewayResponse.Success(new SpawnAccepted(SpawnStatuses.Accepted, child.RunId, child.ChildSessionKey));
            }

            if (p.IdempotencyKey is { } racing && await sessions.FindReservationAsync(requester.SessionKey, racing, cancellationToken) is { } winner)
            {
                return await AcceptedAgainAsync(winner, p, requester, context, cancellationToken);
            }
        }

        return GatewayResponse.Failure(ErrorCodes.Unavailable, "the requester session kept changing; retry", new ErrorDetails(DetailCodes.ConcurrentUpdate));
    }

    /// <summary>
    /// A retry with the same idempotency key. If its run does not exist yet the spawn may have been lost before it was
    /// queued, so it is queued again: the spawn function is idempotent per run id.
    /// </summary>
    private async Task<GatewayResponse> AcceptedAgainAsync(SpawnReservation earlier, SpawnParams p, SessionRecord requester, MethodContext context, CancellationToken cancellationToken)
    {
        if (await runs.GetAsync(earlier.RunId, cancellationToken) is null
            && await sessions.GetChildAsync(requester.SessionKey, earlier.ChildSessionKey, cancellationToken) is { Status: SpawningStatus } child)
        {
            await queue.EnqueueAsync(Request(child, p, requester, context), cancellationToken);
        }

        return GatewayResponse.Success(new SpawnAccepted(SpawnStatuses.Accepted, earlier.RunId, earlier.ChildSessionKey));
    }

    private GatewayResponse? Validate(SpawnParams p, SessionRecord requester)
    {
        var limits = subAgentOptions.Value;
        var runLimits = runOptions.Value;
        if (string.IsNullOrWhiteSpace(p.Task))
        {
            throw new InvalidParamsException("task is required");
        }

        if (p.Label is { Length: > 128 } || p.Model is { Length: > 128 })
        {
            throw new InvalidParamsException("label and model are at most 128 characters");
        }

        if (p.Cleanup is not (null or SpawnCleanup.Keep or SpawnCleanup.Delete))
        {
            throw new InvalidParamsException("cleanup must be keep or delete");
        }

        if (p.IdempotencyKey is { } key && (key.Length is 0 or > 128 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':')))
        {
            throw new InvalidParamsException("idempotencyKey is 1..128 of [A-Za-z0-9-_.:]");
        }

        var agentId = p.AgentId ?? requester.AgentId;
        if (!SessionKeys.IsAgentId(agentId))
        {
            throw new InvalidParamsException("agentId must be 1..64 of [a-z0-9_-]");
        }

        if (!limits.MayUse(requester.AgentId, agentId))
        {
            return Limit("allowedAgentIds", 0, $"session {requester.SessionKey} may not spawn agent {agentId}");
        }

        if (requester.Depth + 1 > limits.MaxDepth)
        {
            return Limit("maxDepth", limits.MaxDepth, $"a child of {requester.SessionKey} would be at depth {requester.Depth + 1}");
        }

        var bytes = System.Text.Encoding.UTF8.GetByteCount(p.Task);
        if (bytes > runLimits.MaxTaskBytes)
        {
            return Limit("maxTaskBytes", runLimits.MaxTaskBytes, $"the task is {bytes} bytes");
        }

        if (p.RunTimeoutSeconds is { } timeout && (timeout < 1 || timeout > runLimits.MaxTimeoutSeconds))
        {
            return Limit("maxRunTimeoutSeconds", runLimits.MaxTimeoutSeconds, $"runTimeoutSeconds is {timeout}");
        }

        return null;
    }

    private static SpawnRequest Request(SessionChildRecord child, SpawnParams p, SessionRecord requester, MethodContext context) => new(
        child.RunId, requester.SessionKey, child.ChildSessionKey, p.AgentId ?? requester.AgentId, p.Task!, p.Label, p.Model,
        p.RunTimeoutSeconds, p.Cleanup ?? SpawnCleanup.Keep, requester.Depth + 1, context.Principal.DeviceId);

    private static GatewayResponse Limit(string limit, int max, string why)
        => GatewayResponse.Invalid($"spawn refused by limit {limit}: {why}", DetailCodes.SpawnLimit, new { limit, max });

    private sealed class SpawnParams
    {
        [JsonPropertyName("sessionKey")] public string? SessionKey { get; set; }
        [JsonPropertyName("task")] public string? Task { get; set; }
        [JsonPropertyName("label")] public string? Label { get; set; }
        [JsonPropertyName("agentId")] public string? AgentId { get; set; }
        [JsonPropertyName("model")] public string? Model { get; set; }
        [JsonPropertyName("runTimeoutSeconds")] public int? RunTimeoutSeconds { get; set; }
        [JsonPropertyName("cleanup")] public string? Cleanup { get; set; }
        [JsonPropertyName("idempotencyKey")] public string? IdempotencyKey { get; set; }
    }
}
