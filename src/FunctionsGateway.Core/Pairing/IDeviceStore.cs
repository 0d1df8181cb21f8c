namespace FunctionsGateway.Core.Pairing;

public enum DeviceWriteKind
{
    /// <summary>Insert; fails if the row exists.</summary>
    Add,

    /// <summary>Replace the row under its <see cref="DeviceRow.Version"/>.</summary>
    Replace,

    /// <summary>Insert or replace, unconditionally.</summary>
    Upsert,

    /// <summary>Leave the row as it is, but only if it still has its <see cref="DeviceRow.Version"/>.</summary>
    Check,

    /// <summary>Delete the row under its <see cref="DeviceRow.Version"/> (any version when it is null).</summary>
    Delete,
}

public readonly record struct DeviceWrite(DeviceWriteKind Kind, DeviceRow Row)
{
    public static DeviceWrite Add(DeviceRow row) => new(DeviceWriteKind.Add, row);

    public static DeviceWrite Replace(DeviceRow row) => new(DeviceWriteKind.Replace, row);

    public static DeviceWrite Upsert(DeviceRow row) => new(DeviceWriteKind.Upsert, row);

    public static DeviceWrite Check(DeviceRow row) => new(DeviceWriteKind.Check, row);

    public static DeviceWrite Delete(DeviceRow row) => new(DeviceWriteKind.Delete, row);
}

/// <summary>
/// The rows of each device, one atomic scope per device. Decisions are made in the core; the store only knows how
/// to read the rows and to commit a set of conditional writes all at once.
/// </summary>
public interface IDeviceStore
{
    /// <summary>The device, its token for <paramref name="role"/> and (for in-process callers) its internal marker.</summary>
    Task<DeviceSnapshot> ReadAsync(string deviceId, string role, bool includeInternal, CancellationToken cancellationToken);

    Task<DeviceRecord?> GetDeviceAsync(string deviceId, CancellationToken cancellationToken);

    Task<PendingRequestRecord?> GetPendingAsync(string deviceId, CancellationToken cancellationToken);

    Task<DeviceTokenRecord?> GetTokenAsync(string deviceId, string role, CancellationToken cancellationToken);

    /// <summary>The decision record <paramref name="decisionId"/> of the device, while its follow-ups are unfinished.</summary>
    Task<PairingDecisionRecord?> GetDecisionAsync(string deviceId, string decisionId, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="max"/> decision records of any device made before <paramref name="before"/>, for the sweep.</summary>
    Task<IReadOnlyList<PairingDecisionRecord>> ListDecisionsBeforeAsync(DateTimeOffset before, int max, CancellationToken cancellationToken);

    /// <summary>Every row of the device (for removal).</summary>
    Task<DeviceRowSet> ReadAllAsync(string deviceId, CancellationToken cancellationToken);

    /// <summary>Live connections of a device (optionally of one role).</summary>
    Task<IReadOnlyList<DeviceConnectionRecord>> ListConnectionsAsync(string deviceId, string? role, CancellationToken cancellationToken);

    /// <summary>
    /// Commits writes to one device's rows atomically; false when any condition failed (a lost race), in which case
    /// nothing was written. Written rows get their new versions.
    /// </summary>
    Task<bool> TryCommitAsync(IReadOnlyList<DeviceWrite> writes, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes every row in <paramref name="rows"/>: the device row (if any) under its version, atomically with as many
    /// others as one commit holds; the rest after. False when the device row changed meanwhile (nothing was deleted).
    /// </summary>
    Task<bool> TryRemoveAsync(DeviceRowSet rows, CancellationToken cancellationToken);

    /// <summary>
    /// Registers an identity our own code just created; only such an identity may pair silently, once. False for a
    /// key that is already registered or paired, so re-registering can never re-open the silent path.
    /// </summary>
    Task<bool> RegisterInternalIdentityAsync(string deviceId, string? boundSessionKey, DateTimeOffset now, CancellationToken cancellationToken);

    Task RemoveConnectionAsync(string deviceId, string connectionId, CancellationToken cancellationToken);

    /// <summary>The directory of paired devices, for listing without a table scan.</summary>
    Task UpsertDirectoryAsync(DeviceRecord device, CancellationToken cancellationToken);

    Task DeleteDirectoryAsync(string deviceId, CancellationToken cancellationToken);

    Task<IReadOnlyList<DeviceRecord>> ListDirectoryAsync(string? onlyDeviceId, CancellationToken cancellationToken);

    /// <summary>Paired devices in device-id order after <paramref name="after"/>, at most <paramref name="limit"/>; Next is the last id when there may be more.</summary>
    Task<ListPage<DeviceRecord>> ListDirectoryPageAsync(int limit, string? after, CancellationToken cancellationToken);
}
