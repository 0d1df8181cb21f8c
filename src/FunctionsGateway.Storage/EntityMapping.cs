using Azure;
using Azure.Data.Tables;
using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Core.Runs;
using FunctionsGateway.Core.Sessions;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Storage;

/// <summary>Core records to table entities and back; the ETag travels as the record's opaque version.</summary>
internal static class EntityMapping
{
    public static ETag ToETag(string? version) => version is null ? ETag.All : new ETag(version);

    public static string? ToVersion(ETag etag) => etag == default ? null : etag.ToString();

    public static DeviceRecord ToRecord(DeviceEntity e) => new()
    {
        DeviceId = e.PartitionKey == DeviceRows.DirectoryPartition ? e.RowKey : e.PartitionKey,
        PublicKey = e.PublicKey,
        Roles = e.Roles,
        Scopes = e.Scopes,
        Platform = e.Platform,
        DeviceFamily = e.DeviceFamily,
        ClientId = e.ClientId,
        IsInternal = e.IsInternal,
        BoundSessionKey = e.BoundSessionKey,
        PairedAt = e.PairedAt,
        LastSeenAt = e.LastSeenAt,
        Version = ToVersion(e.ETag),
    };

    public static DeviceEntity ToEntity(DeviceRecord r, string partitionKey, string rowKey) => new()
    {
        PartitionKey = partitionKey,
        RowKey = rowKey,
        PublicKey = r.PublicKey,
        Roles = r.Roles,
        Scopes = r.Scopes,
        Platform = r.Platform,
        DeviceFamily = r.DeviceFamily,
        ClientId = r.ClientId,
        IsInternal = r.IsInternal,
        BoundSessionKey = r.BoundSessionKey,
        PairedAt = r.PairedAt,
        LastSeenAt = r.LastSeenAt,
        ETag = ToETag(r.Version),
    };

    public static DeviceTokenRecord ToRecord(DeviceTokenEntity e) => new()
    {
        DeviceId = e.PartitionKey,
        Role = e.Role,
        TokenHash = e.TokenHash,
        Scopes = e.Scopes,
        CreatedAt = e.CreatedAt,
        RotatedAt = e.RotatedAt,
        RevokedAt = e.RevokedAt,
        IssuePending = e.IssuePending,
        Version = ToVersion(e.ETag),
    };

    public static DeviceTokenEntity ToEntity(DeviceTokenRecord r) => new()
    {
        PartitionKey = r.DeviceId,
        RowKey = DeviceRows.Token(r.Role),
        Role = r.Role,
        TokenHash = r.TokenHash,
        Scopes = r.Scopes,
        CreatedAt = r.CreatedAt,
        RotatedAt = r.RotatedAt,
        RevokedAt = r.RevokedAt,
        IssuePending = r.IssuePending,
        ETag = ToETag(r.Version),
    };

    public static PendingRequestRecord ToRecord(PendingRequestEntity e) => new()
    {
        DeviceId = e.PartitionKey,
        RequestId = e.RequestId,
        Reason = e.Reason,
        Role = e.Role,
        RequestedScopes = e.RequestedScopes,
        ApprovedScopes = e.ApprovedScopes,
        PublicKey = e.PublicKey,
        Platform = e.Platform,
        DeviceFamily = e.DeviceFamily,
        ClientId = e.ClientId,
        ClientMode = e.ClientMode,
        CreatedAt = e.CreatedAt,
        ExpiresAt = e.ExpiresAt,
        ClientAddress = e.ClientAddress,
        Version = ToVersion(e.ETag),
    };

    public static PendingRequestEntity ToEntity(PendingRequestRecord r) => new()
    {
        PartitionKey = r.DeviceId,
        RowKey = DeviceRows.Pending,
        RequestId = r.RequestId,
        Reason = r.Reason,
        Role = r.Role,
        RequestedScopes = r.RequestedScopes,
        ApprovedScopes = r.ApprovedScopes,
        PublicKey = r.PublicKey,
        Platform = r.Platform,
        DeviceFamily = r.DeviceFamily,
        ClientId = r.ClientId,
        ClientMode = r.ClientMode,
        CreatedAt = r.CreatedAt,
        ExpiresAt = r.ExpiresAt,
        ClientAddress = r.ClientAddress,
        ETag = ToETag(r.Version),
    };

    public static PendingIndexEntity ToIndexEntity(PendingRequestRecord r) => new()
    {
        PartitionKey = PendingIndexEntity.Partition,
        RowKey = r.RequestId,
        DeviceId = r.DeviceId,
        Reason = r.Reason,
        Role = r.Role,
        RequestedScopes = r.RequestedScopes,
        ApprovedScopes = r.ApprovedScopes,
        ClientId = r.ClientId,
        Platform = r.Platform,
        CreatedAt = r.CreatedAt,
        ExpiresAt = r.ExpiresAt,
        ClientAddress = r.ClientAddress,
    };

    public static PendingRequestRecord ToRecord(PendingIndexEntity e) => new()
    {
        DeviceId = e.DeviceId,
        RequestId = e.RowKey,
        Reason = e.Reason,
        Role = e.Role,
        RequestedScopes = e.RequestedScopes,
        ApprovedScopes = e.ApprovedScopes,
        ClientId = e.ClientId,
        Platform = e.Platform,
        CreatedAt = e.CreatedAt,
        ExpiresAt = e.ExpiresAt,
        ClientAddress = e.ClientAddress,
        Version = ToVersion(e.ETag),
    };

    public static InternalIdentityRecord ToRecord(InternalIdentityEntity e) => new()
    {
        DeviceId = e.PartitionKey,
        BoundSessionKey = e.BoundSessionKey,
        CreatedAt = e.CreatedAt,
        Version = ToVersion(e.ETag),
    };

    public static InternalIdentityEntity ToEntity(InternalIdentityRecord r) => new()
    {
        PartitionKey = r.DeviceId,
        RowKey = DeviceRows.Internal,
        BoundSessionKey = r.BoundSessionKey,
        CreatedAt = r.CreatedAt,
        ETag = ToETag(r.Version),
    };

    public static DeviceConnectionRecord ToRecord(ConnectionIndexEntity e) => new()
    {
        DeviceId = e.PartitionKey,
        ConnectionId = e.RowKey[DeviceRows.ConnectionPrefix.Length..],
        Role = e.Role,
        AdmittedAt = e.AdmittedAt,
        Version = ToVersion(e.ETag),
    };

    public static ConnectionIndexEntity ToEntity(DeviceConnectionRecord r) => new()
    {
        PartitionKey = r.DeviceId,
        RowKey = DeviceRows.Connection(r.ConnectionId),
        Role = r.Role,
        AdmittedAt = r.AdmittedAt,
        ETag = ToETag(r.Version),
    };

    /// <summary>The table entity for any row of a device's partition.</summary>
    public static EntityBase ToEntity(DeviceRow row) => row switch
    {
        DeviceRecord d => ToEntity(d, d.DeviceId, DeviceRows.Device),
        DeviceTokenRecord t => ToEntity(t),
        PendingRequestRecord p => ToEntity(p),
        InternalIdentityRecord i => ToEntity(i),
        DeviceConnectionRecord c => ToEntity(c),
        PairingDecisionRecord d => ToEntity(d),
        _ => throw new ArgumentException("unknown device row type " + row.GetType().Name, nameof(row)),
    };

    public static PairingDecisionEntity ToEntity(PairingDecisionRecord r) => new()
    {
        PartitionKey = r.DeviceId,
        RowKey = DeviceRows.Decision(r.DecisionId),
        Action = r.Action,
        Decision = r.Decision,
        RequestId = r.RequestId,
        Actor = r.Actor,
        Role = r.Role,
        ScopesFrom = r.ScopesFrom,
        ScopesTo = r.ScopesTo,
        Reason = r.Reason,
        ClientAddress = r.ClientAddress,
        DecidedAt = r.DecidedAt,
        ETag = ToETag(r.Version),
    };

    public static PairingDecisionRecord ToRecord(PairingDecisionEntity e) => new()
    {
        DeviceId = e.PartitionKey,
        DecisionId = e.RowKey[DeviceRows.DecisionPrefix.Length..],
        Action = e.Action,
        Decision = e.Decision,
        RequestId = e.RequestId,
        Actor = e.Actor,
        Role = e.Role,
        ScopesFrom = e.ScopesFrom,
        ScopesTo = e.ScopesTo,
        Reason = e.Reason,
        ClientAddress = e.ClientAddress,
        DecidedAt = e.DecidedAt,
        Version = ToVersion(e.ETag),
    };

    public static ConnectionRecord ToRecord(ConnectionEntity e) => new()
    {
        ConnectionId = e.PartitionKey,
        State = (ConnectionState)e.State,
        SpentNonces = e.SpentNonces,
        NonceExpiresAt = e.NonceExpiresAt,
        DeviceId = e.DeviceId,
        Role = e.Role,
        ScopeMask = e.ScopeMask,
        ClientId = e.ClientId,
        IsInternal = e.IsInternal,
        BoundSessionKey = e.BoundSessionKey,
        AdmittedAt = e.AdmittedAt,
        ClosedReason = e.ClosedReason,
        AdmissionAttempts = e.AdmissionAttempts,
        Version = ToVersion(e.ETag),
    };

    public static ConnectionEntity ToEntity(ConnectionRecord r, string rowKey) => new()
    {
        PartitionKey = r.ConnectionId,
        RowKey = rowKey,
        State = (int)r.State,
        SpentNonces = r.SpentNonces,
        NonceExpiresAt = r.NonceExpiresAt,
        DeviceId = r.DeviceId,
        Role = r.Role,
        ScopeMask = r.ScopeMask,
        ClientId = r.ClientId,
        IsInternal = r.IsInternal,
        BoundSessionKey = r.BoundSessionKey,
        AdmittedAt = r.AdmittedAt,
        ClosedReason = r.ClosedReason,
        AdmissionAttempts = r.AdmissionAttempts,
        ETag = ToETag(r.Version),
    };
}
