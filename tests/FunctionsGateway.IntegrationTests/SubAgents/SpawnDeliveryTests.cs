using FunctionsGateway.Core.SubAgents;
using FunctionsGateway.Hosting;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.SubAgents;

/// <summary>Queue delivery: at least once, sometimes twice, sometimes garbage. One spawn still makes one child and one run.</summary>
public sealed class SpawnDeliveryTests
{
    [Fact]
    public async Task The_same_spawn_message_delivered_twice_gives_one_child_and_one_run()
    {
        await using var rig = await SpawnRig.StartAsync();
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var spawn = await rig.SpawnAsync(op, new { sessionKey = requester, task = "t" });
        var message = Assert.Single(rig.Queues.TakeSpawns());

        await rig.Spawner.SpawnAsync(message, lastAttempt: false, default);
        var firstRun = await rig.Runs.GetAsync(spawn.RunId, default);
        await rig.Spawner.SpawnAsync(message, lastAttempt: false, default);

        var children = await rig.Sessions.ListChildrenAsync(requester, default);
        Assert.Equal(spawn.ChildSessionKey, Assert.Single(children).ChildSessionKey);
        var run = await rig.Runs.GetAsync(spawn.RunId, default);
        Assert.Equal(firstRun!.Version, run!.Version);
        Assert.Equal(1, (await rig.Sessions.GetAsync(requester, default))!.LifetimeChildren);
        Assert.Equal(4, rig.Calls.Calls.Count);
    }

    [Fact]
    public async Task The_same_spawn_message_delivered_twice_at_once_leaves_one_identity()
    {
        await using var rig = await SpawnRig.StartAsync();
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var spawn = await rig.SpawnAsync(op, new { sessionKey = requester, task = "t" });
        var message = Assert.Single(rig.Queues.TakeSpawns());

        await Task.WhenAll(
            rig.Spawner.SpawnAsync(message, lastAttempt: false, default),
            rig.Spawner.SpawnAsync(message, lastAttempt: false, default));

        var run = await rig.Runs.GetAsync(spawn.RunId, default);
        var identities = rig.Calls.Calls.Select(c => c.DeviceId).Distinct().ToList();
        foreach (var identity in identities)
        {
            var kept = await rig.Gateway.Devices.GetDeviceAsync(identity, default) is not null;
            Assert.Equal(identity == run!.SubagentDeviceId, kept);
        }
    }

    [Fact]
    public async Task A_spawn_message_nobody_reserved_changes_nothing()
    {
        await using var rig = await SpawnRig.StartAsync();
        var requester = SpawnRig.NewMainSession();
        var forged = new SpawnRequest(Guid.NewGuid().ToString("N"), requester, SessionKeys.Subagent("x", Guid.NewGuid()), "x", "t", null, null, null, SpawnCleanup.Keep, 1, "nobody");

        await rig.Spawner.SpawnAsync(forged, lastAttempt: false, default);

        Assert.Empty(rig.Calls.Calls);
        Assert.Null(await rig.Runs.GetAsync(forged.RunId, default));
        Assert.Null(await rig.Sessions.GetAsync(forged.ChildSessionKey, default));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"runId\":42}")]
    [InlineData("{}")]
    public async Task A_malformed_spawn_message_fails_without_touching_storage(string body)
    {
        await using var rig = await SpawnRig.StartAsync();
        var handler = new SpawnSubagentQueueHandler(rig.Spawner, rig.Gateway.Get<Microsoft.Extensions.Logging.ILogger<SpawnSubagentQueueHandler>>());

        await Assert.ThrowsAsync<FormatException>(() => handler.HandleAsync(new QueueDelivery("m1", body, 1), default));

        Assert.Empty(rig.Calls.Calls);
        Assert.Contains(rig.Gateway.Logs.Entries, e => e.EventId.Id == 530 && e.Message.Contains("m1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_spawn_that_fails_on_its_last_attempt_is_announced_as_failed_and_frees_its_slot()
    {
        await using var rig = await SpawnRig.StartAsync(new LeastPrivilegePolicy());
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var spawn = await rig.SpawnAsync(op, new { sessionKey = requester, task = "t" });
        var message = Assert.Single(rig.Queues.TakeSpawns());

        await Assert.ThrowsAsync<SpawnStepFailedException>(() => rig.Spawner.SpawnAsync(message, lastAttempt: false, default));
        Assert.Empty(rig.EventsTo<SubagentCompletedEvent>(requester, GatewayEvents.SubagentCompleted));
        await Assert.ThrowsAsync<SpawnStepFailedException>(() => rig.Spawner.SpawnAsync(message, lastAttempt: true, default));

        var announced = Assert.Single(rig.EventsTo<SubagentCompletedEvent>(requester, GatewayEvents.SubagentCompleted));
        Assert.Equal((spawn.RunId, RunStatuses.Failed), (announced.RunId, announced.Status));
        Assert.StartsWith("spawn failed: ", announced.Error, StringComparison.Ordinal);
        Assert.Equal(0, (await rig.Sessions.GetAsync(requester, default))!.ActiveChildren);
        foreach (var identity in rig.Calls.Calls.Select(c => c.DeviceId).Distinct())
        {
            Assert.Empty(await rig.Gateway.DeviceRowsAsync(identity));
        }
    }
}
