using FunctionsGateway.Core.Methods;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Sessions;

/// <summary>What <c>sessions.patch</c> may set. The lineage fields (spawnedBy, depth, spawnRunId) are fixed at creation.</summary>
public sealed record SessionPatch(string? Label, string? Model, string? SpawnedBy, int? Depth, string? SpawnRunId, string? Cleanup = null);

/// <summary>Creating, changing and deleting sessions, each write under the version it read.</summary>
public sealed class SessionService(ISessionStore sessions, TimeProvider time)
{
    public const string DeletedStatus = "deleted";

    /// <summary>A child reserved by <c>sessions.spawn</c> whose run has not been announced yet.</summary>
    public const string SpawningStatus = "spawning";

    private const int MaxAttempts = 5;
    private const int MaxLabelLength = 128;

    public async Task<GatewayResponse> PatchAsync(GatewayPrincipal principal, string sessionKey, SessionPatch patch, CancellationToken cancellationToken)
    {
        if (patch.Label is { Length: > MaxLabelLength } || patch.Model is { Length: > MaxLabelLength })
        {
            throw new InvalidParamsException($"label and model are at most {MaxLabelLength} characters");
        }

        if (patch.SpawnedBy is not null && !SessionKeys.TryParse(patch.SpawnedBy, out _, out _))
        {
            throw new InvalidParamsException("spawnedBy must be a session key");
        }

        if (patch.Cleanup is not (null or SpawnCleanup.Keep or SpawnCleanup.Delete))
        {
            throw new InvalidParamsException("cleanup must be keep or delete");
        }

        if (patch.Depth is < 0 or > 16)
        {
            throw new InvalidParamsException("depth must be 0..16");
        }

        if (!SessionKeys.TryParse(sessionKey, out var agentId, out var isMain))
        {
            return GatewayResponse.Invalid("invalid session key: " + sessionKey, DetailCodes.InvalidSessionKey);
        }

        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var session = await sessions.GetAsync(sessionKey, cancellationToken);
            var created = session is null;
            if (session is null)
            {
                session = new SessionRecord
                {
                    SessionKey = sessionKey,
                    AgentId = agentId,
                    SpawnedBy = isMain ? null : patch.SpawnedBy,
                    Depth = isMain ? 0 : patch.Depth ?? 1,
                    SpawnRunId = isMain ? null : patch.SpawnRunId,
                    Cleanup = isMain ? null : patch.Cleanup,
                    CreatedAt = time.GetUtcNow(),
                };
            }

            // A sub-agent identity that (re)creates its own child session owns it from then on.
            if (principal.IsInternal && principal.BoundSessionKey == sessionKey)
            {
                session.OwnerDeviceId = principal.DeviceId;
            }

            session.Label = patch.Label ?? session.Label;
            session.Model = patch.Model ?? session.Model;
            if (await sessions.TrySaveAsync(session, cancellationToken))
            {
                session.Stored = true;
                return GatewayResponse.Success(new { session = SessionView.From(session), created });
            }
        }

        return GatewayResponse.Failure(ErrorCodes.Unavailable, "the session kept changing; retry", new ErrorDetails(DetailCodes.ConcurrentUpdate));
    }

    /// <summary>Deletes the session's rows; its requester keeps a child row marked deleted, so the lineage stays readable.</summary>
    public async Task<GatewayResponse> DeleteAsync(SessionRecord session, CancellationToken cancellationToken)
    {
        await sessions.DeleteAsync(session.SessionKey, cancellationToken);
        for (var attempt = 0; session.SpawnedBy is { } parent && attempt < MaxAttempts; attempt++)
        {
            var child = await sessions.GetChildAsync(parent, session.SessionKey, cancellationToken);
            if (child is null || child.Status == DeletedStatus)
            {
                break;
            }

            // A child deleted before its run was announced frees its slot now, in the same write; the announcement that
            // may follow finds it no longer spawning and frees nothing twice.
            var requester = child.Status == SpawningStatus ? await sessions.GetAsync(parent, cancellationToken) : null;
            if (requester is not null)
            {
                requester.ActiveChildren = Math.Max(0, requester.ActiveChildren - 1);
            }

            child.Status = DeletedStatus;
            if (await sessions.TryUpdateChildAsync(child, requester, cancellationToken))
            {
                break;
            }
        }

        return GatewayResponse.Success(new { sessionKey = session.SessionKey, deleted = true });
    }
}
