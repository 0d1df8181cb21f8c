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

    /// <summary>True when the connection exists (HEAD 200), false on 404.</summary>
    Task<bool> ConnectionExistsAsync(string hub, string connectionId, CancellationToken cancellationToken = default);
}
