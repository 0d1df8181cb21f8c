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
        _ => throw new ArgumentException("unknown device row type " + row.GetType().Name, nameof(row)),
    };

    public static ConnectionRecord ToRecord(ConnectionEntity e) => new()
    {
        ConnectionId = e.PartitionKey,
        State = (ConnectionState)e.State,
        Nonce = e.Nonce,
        NonceExpiresAt = e.NonceExpiresAt,
        DeviceId = e.DeviceId,
        Role = e.Role,
        ScopeMask = e.ScopeMask,
        ClientId = e.ClientId,
        IsInternal = e.IsInternal,
        BoundSessionKey = e.BoundSessionKey,
        AdmittedAt = e.AdmittedAt,
        ClosedReason = e.ClosedReason,
        Version = ToVersion(e.ETag),
    };

    public static ConnectionEntity ToEntity(ConnectionRecord r, string rowKey) => new()
    {
        PartitionKey = r.ConnectionId,
        RowKey = rowKey,
        State = (int)r.State,
        Nonce = r.Nonce,
        NonceExpiresAt = r.NonceExpiresAt,
        DeviceId = r.DeviceId,
        Role = r.Role,
        ScopeMask = r.ScopeMask,
        ClientId = r.ClientId,
        IsInternal = r.IsInternal,
        BoundSessionKey = r.BoundSessionKey,
        AdmittedAt = r.AdmittedAt,
        ClosedReason = r.ClosedReason,
        ETag = ToETag(r.Version),
    };

    public static SessionRecord ToRecord(SessionEntity e) => new()
    {
        SessionKey = e.PartitionKey,
        AgentId = e.AgentId,
        Label = e.Label,
        Model = e.Model,
        SpawnedBy = e.SpawnedBy,
        Depth = e.Depth,
        CreatedAt = e.CreatedAt,
        ActiveChildren = e.ActiveChildren,
        LifetimeChildren = e.LifetimeChildren,
        SpawnRunId = e.SpawnRunId,
        OwnerDeviceId = e.OwnerDeviceId,
        Cleanup = e.Cleanup,
        Stored = true,
        Version = ToVersion(e.ETag),
    };

    public static SessionEntity ToEntity(SessionRecord r) => new()
    {
        PartitionKey = r.SessionKey,
        RowKey = SessionRows.Session,
        AgentId = r.AgentId,
        Label = r.Label,
        Model = r.Model,
        SpawnedBy = r.SpawnedBy,
        Depth = r.Depth,
        CreatedAt = r.CreatedAt,
        ActiveChildren = r.ActiveChildren,
        LifetimeChildren = r.LifetimeChildren,
        SpawnRunId = r.SpawnRunId,
        OwnerDeviceId = r.OwnerDeviceId,
        Cleanup = r.Cleanup,
        ETag = ToETag(r.Version),
    };

    public static SessionChildRecord ToRecord(SessionChildEntity e) => new()
    {
        SessionKey = e.PartitionKey,
        ChildSessionKey = e.RowKey[SessionRows.ChildPrefix.Length..],
        RunId = e.RunId,
        Status = e.Status,
        Label = e.Label,
        CreatedAt = e.CreatedAt,
        Version = ToVersion(e.ETag),
    };

    public static SessionChildEntity ToEntity(SessionChildRecord r) => new()
    {
        PartitionKey = r.SessionKey,
        RowKey = SessionRows.Child(r.ChildSessionKey),
        ChildSessionKey = r.ChildSessionKey,
        RunId = r.RunId,
        Status = r.Status,
        Label = r.Label,
        CreatedAt = r.CreatedAt,
        ETag = ToETag(r.Version),
    };

    public static SpawnReservation ToRecord(SpawnReservationEntity e) => new(e.RunId, e.ChildSessionKey);

    public static SpawnReservationEntity ToReservationEntity(SessionChildRecord child, string idempotencyKey) => new()
    {
        PartitionKey = child.SessionKey,
        RowKey = SessionRows.Spawn(idempotencyKey),
        RunId = child.RunId,
        ChildSessionKey = child.ChildSessionKey,
    };

    public static SessionDirectoryEntity ToDirectoryEntity(SessionRecord r) => new()
    {
        PartitionKey = SessionRows.DirectoryPartition,
        RowKey = SessionRows.Directory(r.SessionKey, r.CreatedAt),
        SessionKey = r.SessionKey,
    };

    /// <summary>A chat entry; its text may be longer than one property holds (see <see cref="LongText"/>).</summary>
    public static TableEntity ToEntity(string sessionKey, string rowKey, ChatMessage m)
    {
        var e = new TableEntity(sessionKey, rowKey)
        {
            [nameof(ChatMessage.Id)] = m.Id,
            [nameof(ChatMessage.Role)] = m.Role,
            [nameof(ChatMessage.Ts)] = m.Ts,
        };
        Set(e, nameof(ChatMessage.RunId), m.RunId);
        LongText.Write(e, nameof(ChatMessage.Text), m.Text);
        return e;
    }

    public static ChatMessage ToChatMessage(TableEntity e) => new(
        e.GetString(nameof(ChatMessage.Id)) ?? string.Empty,
        e.GetString(nameof(ChatMessage.Role)) ?? string.Empty,
        LongText.Read(e, nameof(ChatMessage.Text)) ?? string.Empty,
        e.GetString(nameof(ChatMessage.RunId)),
        e.GetInt64(nameof(ChatMessage.Ts)) ?? 0);

    /// <summary>A run row; task, output and error may be longer than one property holds (see <see cref="LongText"/>).</summary>
    public static TableEntity ToEntity(RunRecord r)
    {
        var e = new TableEntity(r.RunId, RunRows.Run)
        {
            ETag = ToETag(r.Version),
            [nameof(RunRecord.SessionKey)] = r.SessionKey,
            [nameof(RunRecord.AgentId)] = r.AgentId,
            [nameof(RunRecord.Lane)] = r.Lane,
            [nameof(RunRecord.TimeoutMs)] = r.TimeoutMs,
            [nameof(RunRecord.Status)] = r.Status,
            [nameof(RunRecord.CallerDeviceId)] = r.CallerDeviceId,
            [nameof(RunRecord.SenderIsOwner)] = r.SenderIsOwner,
            [nameof(RunRecord.OfferedTo)] = r.OfferedTo,
            [nameof(RunRecord.OfferAttempt)] = r.OfferAttempt,
            [nameof(RunRecord.CreatedAt)] = r.CreatedAt,
            [nameof(RunRecord.Announced)] = r.Announced,
            [nameof(RunRecord.CleanedUp)] = r.CleanedUp,
        };
        Set(e, nameof(RunRecord.Model), r.Model);
        Set(e, nameof(RunRecord.WorkerConnectionId), r.WorkerConnectionId);
        Set(e, nameof(RunRecord.WorkerDeviceId), r.WorkerDeviceId);
        Set(e, nameof(RunRecord.RequesterSessionKey), r.RequesterSessionKey);
        Set(e, nameof(RunRecord.Cleanup), r.Cleanup);
        Set(e, nameof(RunRecord.SubagentDeviceId), r.SubagentDeviceId);
        if (r.StartedAt is { } started)
        {
            e[nameof(RunRecord.StartedAt)] = started;
        }

        if (r.EndedAt is { } ended)
        {
            e[nameof(RunRecord.EndedAt)] = ended;
        }

        LongText.Write(e, nameof(RunRecord.Task), r.Task);
        LongText.Write(e, nameof(RunRecord.Output), r.Output);
        LongText.Write(e, nameof(RunRecord.Error), r.Error);
        return e;
    }

    public static RunRecord ToRunRecord(TableEntity e) => new()
    {
        RunId = e.PartitionKey,
        SessionKey = e.GetString(nameof(RunRecord.SessionKey)) ?? string.Empty,
        AgentId = e.GetString(nameof(RunRecord.AgentId)) ?? string.Empty,
        Lane = e.GetString(nameof(RunRecord.Lane)) ?? string.Empty,
        Task = LongText.Read(e, nameof(RunRecord.Task)) ?? string.Empty,
        Model = e.GetString(nameof(RunRecord.Model)),
        TimeoutMs = e.GetInt64(nameof(RunRecord.TimeoutMs)) ?? 0,
        Status = e.GetString(nameof(RunRecord.Status)) ?? string.Empty,
        CallerDeviceId = e.GetString(nameof(RunRecord.CallerDeviceId)) ?? string.Empty,
        SenderIsOwner = e.GetBoolean(nameof(RunRecord.SenderIsOwner)) ?? false,
        WorkerConnectionId = e.GetString(nameof(RunRecord.WorkerConnectionId)),
        WorkerDeviceId = e.GetString(nameof(RunRecord.WorkerDeviceId)),
        OfferedTo = e.GetString(nameof(RunRecord.OfferedTo)) ?? string.Empty,
        OfferAttempt = e.GetInt32(nameof(RunRecord.OfferAttempt)) ?? 0,
        Output = LongText.Read(e, nameof(RunRecord.Output)),
        Error = LongText.Read(e, nameof(RunRecord.Error)),
        CreatedAt = e.GetDateTimeOffset(nameof(RunRecord.CreatedAt)) ?? default,
        StartedAt = e.GetDateTimeOffset(nameof(RunRecord.StartedAt)),
        EndedAt = e.GetDateTimeOffset(nameof(RunRecord.EndedAt)),
        RequesterSessionKey = e.GetString(nameof(RunRecord.RequesterSessionKey)),
        Cleanup = e.GetString(nameof(RunRecord.Cleanup)),
        SubagentDeviceId = e.GetString(nameof(RunRecord.SubagentDeviceId)),
        Announced = e.GetBoolean(nameof(RunRecord.Announced)) ?? false,
        CleanedUp = e.GetBoolean(nameof(RunRecord.CleanedUp)) ?? false,
        Version = ToVersion(e.ETag),
    };

    public static WorkerRecord ToRecord(WorkerEntity e) => new()
    {
        ConnectionId = e.RowKey,
        DeviceId = e.DeviceId,
        AgentIds = e.AgentIds,
        ConnectedAt = e.ConnectedAt,
        LastOfferedAt = e.LastOfferedAt,
        ActiveRunIds = e.ActiveRunIds,
        Version = ToVersion(e.ETag),
    };

    public static WorkerEntity ToEntity(WorkerRecord r, string partition) => new()
    {
        PartitionKey = partition,
        RowKey = r.ConnectionId,
        DeviceId = r.DeviceId,
        AgentIds = r.AgentIds,
        ConnectedAt = r.ConnectedAt,
        LastOfferedAt = r.LastOfferedAt,
        ActiveRunIds = r.ActiveRunIds,
        ETag = ToETag(r.Version),
    };

    /// <summary>A null is no property at all: it reads back as null.</summary>
    private static void Set(TableEntity e, string name, string? value)
    {
        if (value is not null)
        {
            e[name] = value;
        }
    }
}
