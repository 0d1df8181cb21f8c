using Azure.Data.Tables;
using FunctionsGateway.Core.Sessions;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;
using FunctionsGateway.Storage;

namespace FunctionsGateway.IntegrationTests.Storage;

/// <summary>The session store on Azurite: its conditional writes, its one-transaction reservation, chat and the directory.</summary>
public sealed class TableSessionStoreTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_session_is_added_once_then_replaced_only_under_its_current_version()
    {
        var (store, _) = await StoreAsync();
        var session = NewSession(StorageAccount.NewMainKey());

        Assert.True(await store.TrySaveAsync(session, default));
        Assert.NotNull(session.Version);
        Assert.True(session.Stored);
        Assert.False(await store.TrySaveAsync(NewSession(session.SessionKey), default)); // a second create loses

        var read = await store.GetAsync(session.SessionKey, default);
        Assert.NotNull(read);
        Assert.True(read.Stored);
        Assert.Equal(session.Version, read.Version);
        Assert.Equal((session.AgentId, session.Label, session.Depth, session.CreatedAt), (read.AgentId, read.Label, read.Depth, read.CreatedAt));

        var stale = (await store.GetAsync(session.SessionKey, default))!;
        read.Label = "renamed";
        Assert.True(await store.TrySaveAsync(read, default));
        Assert.NotEqual(stale.Version, read.Version); // refreshed by the write
        stale.Label = "lost update";
        Assert.False(await store.TrySaveAsync(stale, default));
        Assert.Equal("renamed", (await store.GetAsync(session.SessionKey, default))!.Label);

        await store.DeleteAsync(session.SessionKey, default);
        read.Label = "after delete";
        Assert.False(await store.TrySaveAsync(read, default)); // a replace of a deleted session is a lost race too
    }

    [Fact]
    public async Task Two_reservations_racing_on_one_session_version_let_exactly_one_win()
    {
        var (store, _) = await StoreAsync();
        var key = StorageAccount.NewMainKey();
        Assert.True(await store.TrySaveAsync(NewSession(key), default));
        var first = (await store.GetAsync(key, default))!;
        var second = (await store.GetAsync(key, default))!;
        first.ActiveChildren = second.ActiveChildren = 1;
        first.LifetimeChildren = second.LifetimeChildren = 1;
        var (childA, childB) = (NewChild(key), NewChild(key));

        var results = await Task.WhenAll(
            store.TryReserveChildAsync(first, childA, null, default),
            store.TryReserveChildAsync(second, childB, null, default));

        Assert.Single(results, won => won);
        var winner = results[0] ? childA : childB;
        var children = await store.ListChildrenAsync(key, default);
        Assert.Equal([winner.ChildSessionKey], children.Select(c => c.ChildSessionKey));
        Assert.Equal(1, (await store.GetAsync(key, default))!.ActiveChildren);
    }

    [Fact]
    public async Task Two_reservations_creating_an_implicit_main_session_let_exactly_one_win()
    {
        var (store, tables) = await StoreAsync();
        var key = StorageAccount.NewMainKey();
        SessionRecord Implicit() => new() { SessionKey = key, AgentId = SessionKeyAgent(key), CreatedAt = Now, ActiveChildren = 1, LifetimeChildren = 1 };
        var (first, second) = (Implicit(), Implicit());

        var results = await Task.WhenAll(
            store.TryReserveChildAsync(first, NewChild(key), null, default),
            store.TryReserveChildAsync(second, NewChild(key), null, default));

        Assert.Single(results, won => won);
        Assert.Single(await store.ListChildrenAsync(key, default));
        var stored = (await store.GetAsync(key, default))!;
        Assert.Equal((1, 1), (stored.ActiveChildren, stored.LifetimeChildren));
        Assert.Equal((results[0] ? first : second).Version, stored.Version);
        Assert.NotNull(await tables.Sessions.FindAsync<TableEntity>(SessionRows.DirectoryPartition, SessionRows.Directory(key, Now), default));
        await store.DeleteAsync(key, default);
    }

    [Fact]
    public async Task A_duplicate_idempotency_key_loses_and_leaves_the_session_and_children_as_they_were()
    {
        var (store, _) = await StoreAsync();
        var key = StorageAccount.NewMainKey();
        Assert.True(await store.TrySaveAsync(NewSession(key), default));
        var session = (await store.GetAsync(key, default))!;
        session.ActiveChildren = session.LifetimeChildren = 1;
        var child = NewChild(key);
        const string idempotencyKey = "retry:1.a-b_c";

        Assert.True(await store.TryReserveChildAsync(session, child, idempotencyKey, default));
        Assert.NotNull(child.Version);

        var fresh = (await store.GetAsync(key, default))!; // a current version: only the key can lose
        fresh.ActiveChildren = fresh.LifetimeChildren = 2;
        Assert.False(await store.TryReserveChildAsync(fresh, NewChild(key), idempotencyKey, default));

        Assert.Equal(new SpawnReservation(child.RunId, child.ChildSessionKey), await store.FindReservationAsync(key, idempotencyKey, default));
        Assert.Null(await store.FindReservationAsync(key, "other-key", default));
        Assert.Equal([child.ChildSessionKey], (await store.ListChildrenAsync(key, default)).Select(c => c.ChildSessionKey));
        var after = (await store.GetAsync(key, default))!;
        Assert.Equal((1, 1, fresh.Version), (after.ActiveChildren, after.LifetimeChildren, after.Version));
    }

    [Fact]
    public async Task A_child_update_under_a_stale_version_loses_and_with_a_stale_session_changes_neither_row()
    {
        var (store, _) = await StoreAsync();
        var key = StorageAccount.NewMainKey();
        var session = NewSession(key);
        session.ActiveChildren = session.LifetimeChildren = 1;
        var child = NewChild(key);
        Assert.True(await store.TryReserveChildAsync(session, child, null, default));

        var stale = (await store.GetChildAsync(key, child.ChildSessionKey, default))!;
        Assert.Equal(child.Version, stale.Version);
        child.Status = "completed";
        Assert.True(await store.TryUpdateChildAsync(child, null, default));
        Assert.NotEqual(stale.Version, child.Version);
        stale.Status = "failed";
        Assert.False(await store.TryUpdateChildAsync(stale, null, default));
        Assert.Equal("completed", (await store.GetChildAsync(key, child.ChildSessionKey, default))!.Status);

        // Child current, session stale: the transaction fails as a whole.
        var staleSession = (await store.GetAsync(key, default))!;
        var current = (await store.GetAsync(key, default))!;
        current.Label = "moved on";
        Assert.True(await store.TrySaveAsync(current, default));
        child.Status = "deleted";
        staleSession.ActiveChildren = 0;
        Assert.False(await store.TryUpdateChildAsync(child, staleSession, default));
        Assert.Equal("completed", (await store.GetChildAsync(key, child.ChildSessionKey, default))!.Status);
        Assert.Equal(1, (await store.GetAsync(key, default))!.ActiveChildren);

        // Both current: both change, and both versions are refreshed.
        current.ActiveChildren = 0;
        Assert.True(await store.TryUpdateChildAsync(child, current, default));
        Assert.Equal(current.Version, (await store.GetAsync(key, default))!.Version);
        Assert.Equal(child.Version, (await store.GetChildAsync(key, child.ChildSessionKey, default))!.Version);
        Assert.Equal("deleted", (await store.GetChildAsync(key, child.ChildSessionKey, default))!.Status);
    }

    [Fact]
    public async Task Chat_lists_the_latest_entries_oldest_first_and_a_reset_clears_only_chat()
    {
        var (store, _) = await StoreAsync();
        var key = StorageAccount.NewMainKey();
        var session = NewSession(key);
        var child = NewChild(key);
        Assert.True(await store.TryReserveChildAsync(session, child, "k1", default));
        var sent = Enumerable.Range(1, 7).Select(i => new ChatMessage("m" + i, ChatRoles.User, "text " + i, i % 2 == 0 ? "run" + i : null, 1000 + i)).ToList();
        foreach (var message in sent)
        {
            await store.AppendChatAsync(key, message, default);
        }

        Assert.Equal(sent[^3..], await store.ListChatAsync(key, 3, default));
        Assert.Equal(sent, await store.ListChatAsync(key, 200, default));
        Assert.Equal([sent[^1]], await store.ListChatAsync(key, 1, default));
        Assert.Empty(await store.ListChatAsync(StorageAccount.NewMainKey(), 10, default));

        await store.ClearChatAsync(key, default);

        Assert.Empty(await store.ListChatAsync(key, 200, default));
        Assert.NotNull(await store.GetAsync(key, default));
        Assert.NotNull(await store.GetChildAsync(key, child.ChildSessionKey, default));
        Assert.NotNull(await store.FindReservationAsync(key, "k1", default));
    }

    [Fact]
    public async Task A_chat_entry_longer_than_one_table_property_reads_back_whole()
    {
        var (store, _) = await StoreAsync();
        var key = StorageAccount.NewMainKey();

        // 100,000 characters with a surrogate pair astride each 32 K boundary the text is cut at.
        var text = string.Concat(Enumerable.Repeat("ab😀", 100_000 / 4)) + "end";
        var message = new ChatMessage("long", ChatRoles.System, text, "run", 1);
        await store.AppendChatAsync(key, message, default);

        Assert.Equal(text, Assert.Single(await store.ListChatAsync(key, 10, default)).Text);
        await store.DeleteAsync(key, default);
    }

    [Fact]
    public async Task Sessions_are_listed_newest_first_from_the_directory_without_a_table_scan()
    {
        var requests = new StorageRequestCounter();
        var (store, tables) = await StoreAsync(requests);

        // Far in the future, at a random day, so these are among the newest sessions whatever else the table holds.
        var start = new DateTimeOffset(9000, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(Random.Shared.Next(0, 300_000));
        var keys = Enumerable.Range(0, 3).Select(_ => StorageAccount.NewMainKey()).ToList();
        for (var i = 0; i < keys.Count; i++)
        {
            var session = NewSession(keys[i]);
            session.CreatedAt = start.AddMinutes(i);
            Assert.True(await store.TrySaveAsync(session, default));
        }

        // A pointer to a session that does not exist (a create that never landed) is skipped.
        var ghost = StorageAccount.NewMainKey();
        var ghostPointer = new SessionDirectoryEntity
        {
            PartitionKey = SessionRows.DirectoryPartition,
            RowKey = SessionRows.Directory(ghost, start.AddMinutes(10)),
            SessionKey = ghost,
        };
        await tables.Sessions.AddEntityAsync(ghostPointer);
        try
        {
            requests.Clear();
            var listed = await store.ListAsync(500, default);

            Assert.Equal(listed.OrderByDescending(s => s.CreatedAt).Select(s => s.SessionKey), listed.Select(s => s.SessionKey));
            Assert.Equal(listed.Count, listed.Select(s => s.SessionKey).Distinct().Count());
            Assert.DoesNotContain(ghost, listed.Select(s => s.SessionKey));
            Assert.Equal([keys[2], keys[1], keys[0]], listed.Select(s => s.SessionKey).Where(keys.Contains));
            Assert.All(listed, s => Assert.True(s.Stored));

            // The directory partition (its query, and the removal of long-stale pointers), then point reads of
            // session rows: never a scan.
            Assert.All(requests.Requests, r => Assert.True(
                r.Path.Contains($"PartitionKey eq '{SessionRows.DirectoryPartition}'", StringComparison.Ordinal)
                || r.Path.Contains($"(PartitionKey='{SessionRows.DirectoryPartition}',", StringComparison.Ordinal)
                || r.Path.Contains($"RowKey='{SessionRows.Session}')", StringComparison.Ordinal), $"{r.Method} {r.Path}"));
            Assert.Contains(requests.Requests, r => r.Method == "GET" && r.Path.Contains($"PartitionKey eq '{SessionRows.DirectoryPartition}'", StringComparison.Ordinal));

            Assert.Equal(2, (await store.ListAsync(2, default)).Count);
            Assert.Empty(await store.ListAsync(0, default));
        }
        finally
        {
            await tables.Sessions.DeleteIfExistsAsync(SessionRows.DirectoryPartition, ghostPointer.RowKey, default);
            foreach (var key in keys)
            {
                await store.DeleteAsync(key, default);
            }
        }

        Assert.DoesNotContain((await store.ListAsync(500, default)).Select(s => s.SessionKey), keys.Contains);
    }

    [Fact]
    public async Task A_create_that_loses_to_a_session_created_at_another_time_takes_its_directory_pointer_back()
    {
        var (store, tables) = await StoreAsync();
        var key = StorageAccount.NewMainKey();
        Assert.True(await store.TrySaveAsync(NewSession(key), default));

        var late = NewSession(key);
        late.CreatedAt = Now.AddMinutes(5);
        Assert.False(await store.TrySaveAsync(late, default));

        Assert.NotNull(await tables.Sessions.FindAsync<TableEntity>(SessionRows.DirectoryPartition, SessionRows.Directory(key, Now), default));
        Assert.Null(await tables.Sessions.FindAsync<TableEntity>(SessionRows.DirectoryPartition, SessionRows.Directory(key, late.CreatedAt), default));
        await store.DeleteAsync(key, default);
    }

    [Fact]
    public async Task Delete_removes_every_row_of_the_session_over_several_batches_and_its_directory_pointer()
    {
        var (store, tables) = await StoreAsync();
        var key = StorageAccount.NewMainKey();
        var session = NewSession(key);
        session.ActiveChildren = session.LifetimeChildren = 1;
        var child = NewChild(key);
        Assert.True(await store.TryReserveChildAsync(session, child, "idem", default));

        // More than one transaction's worth of rows (100).
        await Task.WhenAll(Enumerable.Range(0, 130).Select(i => store.AppendChatAsync(key, new ChatMessage("m" + i, ChatRoles.User, "x", null, i), default)));
        Assert.Equal(133, await CountRowsAsync(tables, key));

        await store.DeleteAsync(key, default);

        Assert.Equal(0, await CountRowsAsync(tables, key));
        Assert.Null(await store.GetAsync(key, default));
        Assert.Null(await store.GetChildAsync(key, child.ChildSessionKey, default));
        Assert.Null(await store.FindReservationAsync(key, "idem", default));
        Assert.Empty(await store.ListChatAsync(key, 200, default));
        Assert.Null(await tables.Sessions.FindAsync<TableEntity>(SessionRows.DirectoryPartition, SessionRows.Directory(key, Now), default));

        await store.DeleteAsync(key, default); // again, and of a session that never was: nothing to do, no error
        await store.DeleteAsync(StorageAccount.NewMainKey(), default);
    }

    [Fact]
    public async Task Reads_of_keys_a_table_cannot_hold_answer_nothing()
    {
        var (store, _) = await StoreAsync();

        Assert.Null(await store.GetAsync("agent:a/b:main", default));
        Assert.Null(await store.GetAsync(SessionRows.DirectoryPartition, default));
        Assert.Null(await store.GetChildAsync(StorageAccount.NewMainKey(), "x#y", default));
        Assert.Null(await store.FindReservationAsync(StorageAccount.NewMainKey(), "a?b", default));
        Assert.Empty(await store.ListChatAsync("bad\\key", 5, default));
        await Assert.ThrowsAsync<ArgumentException>(() => store.TrySaveAsync(NewSession("~sessions"), default));
    }

    private static async Task<(ISessionStore Store, GatewayTables Tables)> StoreAsync(StorageRequestCounter? requests = null)
    {
        var tables = await StorageAccount.TablesAsync(requests);
        return (new TableSessionStore(tables), tables);
    }

    private static SessionRecord NewSession(string key) => new()
    {
        SessionKey = key,
        AgentId = SessionKeyAgent(key),
        Label = "label",
        Model = "model-x",
        Depth = 0,
        CreatedAt = Now,
    };

    private static SessionChildRecord NewChild(string sessionKey) => new()
    {
        SessionKey = sessionKey,
        ChildSessionKey = SessionKeys.Subagent(SessionKeyAgent(sessionKey), Guid.NewGuid()),
        RunId = StorageAccount.NewRunId(),
        Status = "spawning",
        Label = "child",
        CreatedAt = Now,
    };

    private static string SessionKeyAgent(string key) => SessionKeys.TryParse(key, out var agentId, out _) ? agentId : "main";

    private static async Task<int> CountRowsAsync(GatewayTables tables, string partitionKey)
    {
        var count = 0;
        await foreach (var _ in tables.Sessions.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey}"), select: ["RowKey"]))
        {
            count++;
        }

        return count;
    }
}
