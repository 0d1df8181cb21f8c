namespace FunctionsGateway.SignalR.Serverless;

/// <summary>Outcome of an operation whose target may already be gone.</summary>
public enum SignalROperationResult
{
    /// <summary>The service applied the operation.</summary>
    Success,

    /// <summary>The service answered 404 with a "not existed" code (the connection or group was already gone).</summary>
    NotExisted,
}

/// <summary>
/// The Azure SignalR Service data-plane operations the gateway uses. Message arguments are passed as the
/// UTF-8 JSON of the whole <c>arguments</c> array (e.g. <c>[{"event":..,"payload":..,"seq":..}]</c>) so
/// already-serialized payloads are not parsed again.
/// </summary>
public interface ISignalRServiceClient
{
    /// <summary>Invokes <paramref name="target"/> on one connection.</summary>
    Task SendToConnectionAsync(string hub, string connectionId, string target, ReadOnlyMemory<byte> argumentsJsonArray, CancellationToken cancellationToken = default);

    /// <summary>Invokes <paramref name="target"/> on every connection of a user.</summary>
    Task SendToUserAsync(string hub, string userId, string target, ReadOnlyMemory<byte> argumentsJsonArray, CancellationToken cancellationToken = default);

    /// <summary>Invokes <paramref name="target"/> on every connection in a group, minus <paramref name="excludedConnectionIds"/>.</summary>
    Task SendToGroupAsync(string hub, string group, string target, ReadOnlyMemory<byte> argumentsJsonArray, IReadOnlyList<string>? excludedConnectionIds = null, CancellationToken cancellationToken = default);

    /// <summary>Adds a connection to a group; <see cref="SignalROperationResult.NotExisted"/> when the connection is gone.</summary>
    Task<SignalROperationResult> AddConnectionToGroupAsync(string hub, string group, string connectionId, CancellationToken cancellationToken = default);

    /// <summary>Removes a connection from a group; <see cref="SignalROperationResult.NotExisted"/> when the connection is gone.</summary>
    Task<SignalROperationResult> RemoveConnectionFromGroupAsync(string hub, string group, string connectionId, CancellationToken cancellationToken = default);

    /// <summary>Closes a connection; <see cref="SignalROperationResult.NotExisted"/> when it is already gone.</summary>
    Task<SignalROperationResult> CloseConnectionAsync(string hub, string connectionId, string? reason, CancellationToken cancellationToken = default);

    /// <summary>
    /// Whether the service holds the connection right now: <c>HEAD /api/hubs/{hub}/connections/{connectionId}</c>
    /// (api-version 2022-06-01; the older v1 API asked the same with <c>GET /api/v1/hubs/…</c>). The answer is in the
    /// status alone, there is no body: 200 the connection is live, 404 the service does not know it (ended, or never
    /// was). True on 200, false on 404; any other status, after the usual retries, throws
    /// <see cref="SignalRServiceException"/>, so a caller can tell "gone" from "could not ask".
    /// </summary>
    Task<bool> ConnectionExistsAsync(string hub, string connectionId, CancellationToken cancellationToken = default);
}
