using FunctionsGateway.Core.Runs;
using FunctionsGateway.Storage;

namespace FunctionsGateway.IntegrationTests.Storage;

/// <summary>The run store on Azurite: runs created once and changed only under their version; the workers' registry.</summary>
public sealed class TableRunStoreTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_run_is_created_once_and_reads_back_field_for_field()
    {
        var store = await StoreAsync();
        var run = NewRun();
        run.Output = new string('o', 70_000); // more than one table property holds
        run.Error = "é<&>\"";
        run.StartedAt = Now.AddSeconds(1);
        run.RequesterSessionKey = "agent:main:main";
        run.Cleanup = "delete";
        run.SubagentDeviceId = "device-1";
        run.Announced = true;

        Assert.True(await store.TryCreateAsync(run, default));
        Assert.NotNull(run.Version);
        Assert.False(await store.TryCreateAsync(NewRun(run.RunId), default));

        var read = await store.GetAsync(run.RunId, default);
        Assert.NotNull(read);
        Assert.Equal(Fields(run), Fields(read));
        Assert.Equal(run.Version, read.Version);
        Assert.Null(read.EndedAt);
        Assert.Null(read.WorkerConnectionId);
    }

    [Fact]
    public async Task A_replace_under_a_stale_version_loses_and_a_replace_refreshes_the_version()
    {
        var store = await StoreAsync();
        var run = NewRun();
        Assert.True(await store.TryCreateAsync(run, default));
        var first = (await store.GetAsync(run.RunId, default))!;
        var second = (await store.GetAsync(run.RunId, default))!;

        first.Status = "running";
        first.WorkerConnectionId = "conn-1";
        Assert.True(await store.TryReplaceAsync(first, default));
        Assert.NotEqual(second.Version, first.Version);
        second.Status = "aborted";
        Assert.False(await store.TryReplaceAsync(second, default));

        var stored = (await store.GetAsync(run.RunId, default))!;
        Assert.Equal(("running", "conn-1", first.Version), (stored.Status, stored.WorkerConnectionId, stored.Version));

        first.Status = "completed";
        Assert.True(await store.TryReplaceAsync(first, default)); // the refreshed version is current
        Assert.False(await store.TryReplaceAsync(NewRun(), default)); // never created: nothing to replace
        var missing = NewRun();
        missing.Version = first.Version;
        Assert.False(await store.TryReplaceAsync(missing, default));
    }

    [Fact]
    public async Task Workers_are_added_once_listed_from_their_partition_and_saved_under_their_version()
    {
        var store = await StoreAsync();
        var a = NewWorker();
        var b = NewWorker();
        b.AgentIds = "main,research";

        Assert.True(await store.TrySaveWorkerAsync(a, default));
        Assert.True(await store.TrySaveWorkerAsync(b, default));
        Assert.False(await store.TrySaveWorkerAsync(NewWorker(a.ConnectionId), default)); // no version: an add, and it exists

        var listed = (await store.ListWorkersAsync(default)).Where(w => w.ConnectionId == a.ConnectionId || w.ConnectionId == b.ConnectionId).ToList();
        Assert.Equal(2, listed.Count);
        var readB = Assert.Single(listed, w => w.ConnectionId == b.ConnectionId);
        Assert.Equal((b.DeviceId, b.AgentIds, b.ConnectedAt, b.LastOfferedAt, b.Version), (readB.DeviceId, readB.AgentIds, readB.ConnectedAt, readB.LastOfferedAt, readB.Version));

        var stale = (await store.GetWorkerAsync(a.ConnectionId, default))!;
        a.ActiveRunIds = "r1";
        a.LastOfferedAt = Now.AddMinutes(1);
        Assert.True(await store.TrySaveWorkerAsync(a, default));
        stale.ActiveRunIds = "r2";
        Assert.False(await store.TrySaveWorkerAsync(stale, default));
        Assert.Equal("r1", (await store.GetWorkerAsync(a.ConnectionId, default))!.ActiveRunIds);

        await store.DeleteWorkerAsync(a.ConnectionId, default);
        await store.DeleteWorkerAsync(a.ConnectionId, default); // already gone: fine
        Assert.Null(await store.GetWorkerAsync(a.ConnectionId, default));
        Assert.False(await store.TrySaveWorkerAsync(a, default)); // its version names a row that is gone
        Assert.DoesNotContain(await store.ListWorkersAsync(default), w => w.ConnectionId == a.ConnectionId);
        await store.DeleteWorkerAsync(b.ConnectionId, default);
    }

    [Fact]
    public async Task A_run_id_a_table_key_cannot_hold_reads_as_no_run()
    {
        var store = await StoreAsync();

        // node.event lets a worker name any string up to 64 characters as a run id.
        Assert.Null(await store.GetAsync("a/b#c?d", default));
        Assert.Null(await store.GetAsync(RunRows.WorkersPartition, default));
        Assert.Null(await store.GetAsync(string.Empty, default));
        Assert.Null(await store.GetWorkerAsync("x/y", default));
        await Assert.ThrowsAsync<ArgumentException>(() => store.TryCreateAsync(NewRun("~workers"), default));
    }

    /// <summary>A store on a pool of its own, so workers of other tests (which share Azurite) are never listed.</summary>
    private static async Task<IRunStore> StoreAsync()
        => new TableRunStore(await StorageAccount.TablesAsync(),
            Microsoft.Extensions.Options.Options.Create(new RunOptions { WorkerPool = "t" + Guid.NewGuid().ToString("N")[..12] }));

    private static RunRecord NewRun(string? runId = null) => new()
    {
        RunId = runId ?? StorageAccount.NewRunId(),
        SessionKey = "agent:main:main",
        AgentId = "main",
        Lane = "main",
        Task = "do something ✓",
        Model = "model-x",
        TimeoutMs = 3_600_000L * 24 * 30, // beyond Int32
        Status = "queued",
        CallerDeviceId = "caller",
        SenderIsOwner = true,
        OfferedTo = "c1,c2",
        OfferAttempt = 2,
        CreatedAt = Now,
    };

    private static WorkerRecord NewWorker(string? connectionId = null) => new()
    {
        ConnectionId = connectionId ?? "conn-" + Guid.NewGuid().ToString("N"),
        DeviceId = "device-" + Guid.NewGuid().ToString("N")[..8],
        ConnectedAt = Now,
        LastOfferedAt = DateTimeOffset.UnixEpoch,
    };

    private static object Fields(RunRecord r) => new
    {
        r.RunId, r.SessionKey, r.AgentId, r.Lane, r.Task, r.Model, r.TimeoutMs, r.Status, r.CallerDeviceId, r.SenderIsOwner,
        r.WorkerConnectionId, r.WorkerDeviceId, r.OfferedTo, r.OfferAttempt, r.Output, r.Error, r.CreatedAt, r.StartedAt, r.EndedAt,
        r.RequesterSessionKey, r.Cleanup, r.SubagentDeviceId, r.Announced, r.CleanedUp,
    };
}
