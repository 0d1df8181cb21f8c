using Azure;
using Azure.Data.Tables;
using FunctionsGateway.Core.Sessions;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Storage;

/// <summary>
/// One partition per session (PartitionKey = session key): the <c>session</c> row, <c>child:{key}</c> rows,
/// <c>spawn:{idempotencyKey}</c> reservations and <c>chat:{inverted ticks}-{guid}</c> entries, so a reservation is one
/// transaction. The <c>~sessions</c> partition points at every stored session, newest first.
/// </summary>
/// <remarks>
/// The directory is kept in step without a transaction (it is another partition): its pointer is written before a
/// session is created and removed after the session is deleted, so every stored session is listed, and a pointer
/// left behind by a crash or a lost race points at nothing, or at a session created at another time. A listing
/// skips such pointers and removes them once they are older than <see cref="StalePointerAge"/> (younger ones may
/// belong to a create in flight).
/// </remarks>
internal sealed partial class TableSessionStore(GatewayTables tables) : ISessionStore
{
    /// <summary>Table Storage's limit of actions in one transaction.</summary>
    private const int MaxBatch = 100;

    /// <summary>Session rows a listing reads at once.</summary>
    private const int ParallelReads = 16;

    private static readonly TimeSpan StalePointerAge = TimeSpan.FromMinutes(10);

    private TableClient Table => tables.Sessions;

    public async Task<SessionRecord?> GetAsync(string sessionKey, CancellationToken cancellationToken)
        => IsSessionKey(sessionKey) && await Table.FindAsync<SessionEntity>(sessionKey, SessionRows.Session, cancellationToken) is { } e
            ? SessionRunMapping.ToRecord(e)
            : null;

    public async Task<bool> TrySaveAsync(SessionRecord session, CancellationToken cancellationToken)
    {
        TableKeys.Require(session.SessionKey, nameof(session));
        var entity = SessionRunMapping.ToEntity(session);
        return await WriteSessionAsync(session, async () =>
        {
            try
            {
                var response = session.Version is null
                    ? await Table.AddEntityAsync(entity, cancellationToken)
                    : await Table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken);
                Saved(session, response);
                return true;
            }
            catch (RequestFailedException ex) when (ex.IsConflict() || ex.Status == 404)
            {
                return false;
            }
        }, cancellationToken);
    }

    public async Task<bool> TryReserveChildAsync(SessionRecord requester, SessionChildRecord child, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var partition = TableKeys.Require(requester.SessionKey, nameof(requester));
        SamePartition(partition, child);
        var actions = new List<TableTransactionAction>
        {
            SessionAction(requester),
            new(TableTransactionActionType.Add, SessionRunMapping.ToEntity(child)),
        };
        if (idempotencyKey is not null)
        {
            var reservation = SessionRunMapping.ToReservationEntity(child, idempotencyKey);
            if (!TableKeys.IsValid(reservation.RowKey))
            {
                throw new ArgumentException("not a usable idempotency key: " + idempotencyKey, nameof(idempotencyKey));
            }

            actions.Add(new(TableTransactionActionType.Add, reservation));
        }

        return await WriteSessionAsync(requester, async () =>
        {
            if (await TrySubmitAsync(actions, cancellationToken) is not { } responses)
            {
                return false;
            }

            Saved(requester, responses[0]);
            child.Version = responses[1].Headers.ETag?.ToString();
            return true;
        }, cancellationToken);
    }

    public async Task<SpawnReservation?> FindReservationAsync(string sessionKey, string idempotencyKey, CancellationToken cancellationToken)
    {
        var rowKey = SessionRows.Spawn(idempotencyKey);
        return IsSessionKey(sessionKey) && TableKeys.IsValid(rowKey)
            && await Table.FindAsync<SpawnReservationEntity>(sessionKey, rowKey, cancellationToken) is { } e
                ? SessionRunMapping.ToRecord(e)
                : null;
    }

    public async Task<IReadOnlyList<SessionChildRecord>> ListChildrenAsync(string sessionKey, CancellationToken cancellationToken)
    {
        var list = new List<SessionChildRecord>();
        if (!IsSessionKey(sessionKey))
        {
            return list;
        }

        await foreach (var row in Table.QueryAsync<SessionChildEntity>(Range(sessionKey, SessionRows.ChildPrefix), cancellationToken: cancellationToken))
        {
            list.Add(SessionRunMapping.ToRecord(row));
        }

        return list;
    }

    public async Task<SessionChildRecord?> GetChildAsync(string sessionKey, string childSessionKey, CancellationToken cancellationToken)
    {
        var rowKey = SessionRows.Child(childSessionKey);
        return IsSessionKey(sessionKey) && TableKeys.IsValid(rowKey)
            && await Table.FindAsync<SessionChildEntity>(sessionKey, rowKey, cancellationToken) is { } e
                ? SessionRunMapping.ToRecord(e)
                : null;
    }

    public async Task<bool> TryUpdateChildAsync(SessionChildRecord child, SessionRecord? session, CancellationToken cancellationToken)
    {
        var partition = TableKeys.Require(child.SessionKey, nameof(child));
        var entity = SessionRunMapping.ToEntity(child);
        if (session is null)
        {
            try
            {
                var response = await Table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken);
                child.Version = response.Headers.ETag?.ToString() ?? child.Version;
                return true;
            }
            catch (RequestFailedException ex) when (ex.IsConflict() || ex.Status == 404)
            {
                return false;
            }
        }

        if (session.SessionKey != partition)
        {
            throw new ArgumentException($"child row of {partition} cannot be written with session {session.SessionKey}", nameof(session));
        }

        TableTransactionAction[] actions = [new(TableTransactionActionType.UpdateReplace, entity, entity.ETag), SessionAction(session)];
        return await WriteSessionAsync(session, async () =>
        {
            if (await TrySubmitAsync(actions, cancellationToken) is not { } responses)
            {
                return false;
            }

            child.Version = responses[0].Headers.ETag?.ToString() ?? child.Version;
            Saved(session, responses[1]);
            return true;
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<SessionRecord>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        var list = new List<SessionRecord>();
        if (limit <= 0)
        {
            return list;
        }

        // A few pointers more than asked for, as stale ones are skipped.
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {SessionRows.DirectoryPartition}");
        var pages = Table.QueryAsync<SessionDirectoryEntity>(filter, maxPerPage: Math.Min(1000, limit + 8), cancellationToken: cancellationToken).AsPages();
        await foreach (var page in pages)
        {
            var pointers = page.Values;
            for (var next = 0; next < pointers.Count;)
            {
                var window = pointers.Skip(next).Take(Math.Min(ParallelReads, limit - list.Count)).ToList();
                next += window.Count;
                var sessions = await Task.WhenAll(window.Select(p => GetAsync(p.SessionKey, cancellationToken)));
                for (var i = 0; i < window.Count; i++)
                {
                    if (sessions[i] is { } session && SessionRows.Directory(session.SessionKey, session.CreatedAt) == window[i].RowKey)
                    {
                        list.Add(session);
                    }
                    else
                    {
                        await RemoveStalePointerAsync(window[i], cancellationToken);
                    }
                }

                if (list.Count >= limit)
                {
                    return list;
                }
            }
        }

        return list;
    }

    public async Task DeleteAsync(string sessionKey, CancellationToken cancellationToken)
    {
        if (!IsSessionKey(sessionKey))
        {
            return;
        }

        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {sessionKey}");
        string[] columns = [nameof(ITableEntity.RowKey), nameof(SessionEntity.CreatedAt)];
        var rowKeys = new List<string>();
        DateTimeOffset? createdAt = null;
        var stored = false;
        await foreach (var row in Table.QueryAsync<TableEntity>(filter, select: columns, cancellationToken: cancellationToken))
        {
            if (row.RowKey == SessionRows.Session)
            {
                stored = true;
                createdAt = row.GetDateTimeOffset(nameof(SessionEntity.CreatedAt));
            }
            else
            {
                rowKeys.Add(row.RowKey);
            }
        }

        // The session row goes last: until then the session can be deleted again, and a main session's key is never
        // reused while rows of its old history are left.
        if (stored)
        {
            rowKeys.Add(SessionRows.Session);
        }

        await DeleteRowsAsync(sessionKey, rowKeys, cancellationToken);
        if (stored)
        {
            await Table.DeleteIfExistsAsync(SessionRows.DirectoryPartition, SessionRows.Directory(sessionKey, createdAt ?? default), cancellationToken);
        }
    }

    /// <summary>
    /// A write that may create the session (no version): its directory pointer goes first, and if the create lost to
    /// a session created at another time, the pointer is taken back.
    /// </summary>
    private async Task<bool> WriteSessionAsync(SessionRecord session, Func<Task<bool>> write, CancellationToken cancellationToken)
    {
        ETag? pointer = null;
        if (session.Version is null)
        {
            var response = await Table.UpsertEntityAsync(SessionRunMapping.ToDirectoryEntity(session), TableUpdateMode.Replace, cancellationToken);
            pointer = response.Headers.ETag;
        }

        if (await write())
        {
            return true;
        }

        if (pointer is { } etag && await GetAsync(session.SessionKey, cancellationToken) is { } winner
            && SessionRows.Directory(winner.SessionKey, winner.CreatedAt) != SessionRows.Directory(session.SessionKey, session.CreatedAt))
        {
            await TryDeletePointerAsync(SessionRows.Directory(session.SessionKey, session.CreatedAt), etag, cancellationToken);
        }

        return false;
    }

    private async Task RemoveStalePointerAsync(SessionDirectoryEntity pointer, CancellationToken cancellationToken)
    {
        if (pointer.Timestamp is { } written && written < DateTimeOffset.UtcNow - StalePointerAge)
        {
            await TryDeletePointerAsync(pointer.RowKey, pointer.ETag, cancellationToken);
        }
    }

    /// <summary>Deletes a pointer only as it was: one rewritten since (by a create in flight) stays. A missing one answers 404 without throwing.</summary>
    private async Task TryDeletePointerAsync(string rowKey, ETag etag, CancellationToken cancellationToken)
    {
        try
        {
            await Table.DeleteEntityAsync(SessionRows.DirectoryPartition, rowKey, etag, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.IsConflict())
        {
            // Rewritten meanwhile: it is someone else's now.
        }
    }

    /// <summary>One transaction; null when any action lost a race (404, 409, 412).</summary>
    private async Task<IReadOnlyList<Response>?> TrySubmitAsync(IEnumerable<TableTransactionAction> actions, CancellationToken cancellationToken)
    {
        try
        {
            return (await Table.SubmitAsync(actions, cancellationToken)).Value;
        }
        catch (TableTransactionFailedException ex) when (ex.IsConflict())
        {
            return null;
        }
    }

    /// <summary>Unconditional deletes, at most <see cref="MaxBatch"/> per transaction, in the given order.</summary>
    private async Task DeleteRowsAsync(string partitionKey, List<string> rowKeys, CancellationToken cancellationToken)
    {
        foreach (var chunk in rowKeys.Chunk(MaxBatch))
        {
            var actions = chunk.Select(rowKey => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(partitionKey, rowKey), ETag.All));
            try
            {
                await Table.SubmitAsync(actions, cancellationToken);
            }
            catch (TableTransactionFailedException ex) when (ex.Status == 404)
            {
                // A row went meanwhile (a concurrent delete or reset), which fails the whole batch: one by one, then.
                foreach (var rowKey in chunk)
                {
                    await Table.DeleteIfExistsAsync(partitionKey, rowKey, cancellationToken);
                }
            }
        }
    }

    private static TableTransactionAction SessionAction(SessionRecord session)
    {
        var entity = SessionRunMapping.ToEntity(session);
        return session.Version is null
            ? new(TableTransactionActionType.Add, entity)
            : new(TableTransactionActionType.UpdateReplace, entity, entity.ETag);
    }

    private static void Saved(SessionRecord session, Response response)
    {
        session.Version = response.Headers.ETag?.ToString() ?? session.Version;
        session.Stored = true;
    }

    private static void SamePartition(string partition, SessionChildRecord child)
    {
        if (child.SessionKey != partition)
        {
            throw new ArgumentException($"child row of {child.SessionKey} cannot be reserved on session {partition}", nameof(child));
        }
    }

    private static string Range(string sessionKey, string prefix)
        => TableClient.CreateQueryFilter($"PartitionKey eq {sessionKey} and RowKey ge {prefix} and RowKey lt {DeviceRows.PrefixEnd(prefix)}");

    /// <summary>A key that can name a session partition (not the directory's). Reads of any other answer nothing.</summary>
    private static bool IsSessionKey(string? key) => TableKeys.IsValid(key) && !key!.StartsWith('~');
}
