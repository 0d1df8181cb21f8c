using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Sessions;

/// <summary>Sessions, their children, chat history and spawn reservations, one atomic scope per session.</summary>
public interface ISessionStore
{
    /// <summary>The stored session, or null (a main session may still exist implicitly).</summary>
    Task<SessionRecord?> GetAsync(string sessionKey, CancellationToken cancellationToken);

    /// <summary>Adds the session (false if it exists) or, with a version, replaces it under that version.</summary>
    Task<bool> TrySaveAsync(SessionRecord session, CancellationToken cancellationToken);

    /// <summary>
    /// Reserves a child slot atomically: saves <paramref name="requester"/> (with its counters already raised) under its
    /// version, adds the child row and, with a key, the idempotency row. False when any of them lost a race.
    /// </summary>
    Task<bool> TryReserveChildAsync(SessionRecord requester, SessionChildRecord child, string? idempotencyKey, CancellationToken cancellationToken);

    Task<SpawnReservation?> FindReservationAsync(string sessionKey, string idempotencyKey, CancellationToken cancellationToken);

    Task<IReadOnlyList<SessionChildRecord>> ListChildrenAsync(string sessionKey, CancellationToken cancellationToken);

    Task<SessionChildRecord?> GetChildAsync(string sessionKey, string childSessionKey, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the child row under its version and, when given, its session under the session's version, atomically.
    /// False when either lost a race.
    /// </summary>
    Task<bool> TryUpdateChildAsync(SessionChildRecord child, SessionRecord? session, CancellationToken cancellationToken);

    /// <summary>Stored sessions, newest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<SessionRecord>> ListAsync(int limit, CancellationToken cancellationToken);

    /// <summary>Deletes the session with its history, children rows and reservations.</summary>
    Task DeleteAsync(string sessionKey, CancellationToken cancellationToken);

    Task AppendChatAsync(string sessionKey, ChatMessage message, CancellationToken cancellationToken);

    /// <summary>The latest <paramref name="limit"/> entries, oldest first.</summary>
    Task<IReadOnlyList<ChatMessage>> ListChatAsync(string sessionKey, int limit, CancellationToken cancellationToken);

    Task ClearChatAsync(string sessionKey, CancellationToken cancellationToken);
}
