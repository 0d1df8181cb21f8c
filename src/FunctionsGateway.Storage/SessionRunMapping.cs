using Azure.Data.Tables;
using FunctionsGateway.Core.Runs;
using FunctionsGateway.Core.Sessions;
using FunctionsGateway.Protocol;
using static FunctionsGateway.Storage.EntityMapping;

namespace FunctionsGateway.Storage;

/// <summary>Session, chat, run and worker records to table entities and back (devices and connections: <see cref="EntityMapping"/>).</summary>
internal static class SessionRunMapping
{
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
