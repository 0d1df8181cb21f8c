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

    /// <summary>A requester row is contended by its children's reservations and ends; each lost race is someone's progress.</summary>
    private const int MaxAttempts = 16;
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
        if (session.SpawnedBy is { } parent)
        {
            // A child deleted before its run was announced frees its slot now; the announcement that may follow finds
            // it no longer spawning and frees nothing twice.
            await EndChildAsync(parent, session.SessionKey, DeletedStatus, child => child.Status != DeletedStatus, cancellationToken);
        }

        return GatewayResponse.Success(new { sessionKey = session.SessionKey, deleted = true });
    }

    /// <summary>
    /// The one way a child's slot is freed: the child row gets <paramref name="status"/> and, if it was still spawning,
    /// the requester's active-children counter goes down in the same conditional write, so a slot is freed once
    /// whoever ends the child (its announcement, its deletion, a spawn that could not be queued). False when
    /// <paramref name="may"/> refuses the row or there is none; throws when the requester kept changing.
    /// </summary>
    public async Task<bool> EndChildAsync(string requesterKey, string childKey, string status, Func<SessionChildRecord, bool> may, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var child = await sessions.GetChildAsync(requesterKey, childKey, cancellationToken);
            if (child is null || !may(child))
            {
                return false;
            }

            var requester = child.Status == SpawningStatus ? await sessions.GetAsync(requesterKey, cancellationToken) : null;
            if (requester is not null)
            {
                requester.ActiveChildren = Math.Max(0, requester.ActiveChildren - 1);
            }

            child.Status = status;
            if (await sessions.TryUpdateChildAsync(child, requester, cancellationToken))
            {
                return true;
            }
        }

        throw new InvalidOperationException($"session {requesterKey} kept changing while ending child {childKey}; retry");
    }
}
