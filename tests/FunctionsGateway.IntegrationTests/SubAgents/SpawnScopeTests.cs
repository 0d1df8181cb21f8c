using FunctionsGateway.Core.SubAgents;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.SubAgents;

/// <summary>
/// The bug this project is built around: a sub-agent's lifecycle calls must never need a scope upgrade. Every call
/// a spawn makes is captured with the scopes its connection asked for.
/// </summary>
public sealed class SpawnScopeTests
{
    [Fact]
    public async Task A_spawn_pairs_its_identity_once_at_admin_and_each_call_names_least_privilege()
    {
        await using var rig = await SpawnRig.StartAsync();
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);

        var accepted = await rig.SpawnAsync(op, new { sessionKey = requester, task = "summarise the logs" });
        Assert.Equal("accepted", accepted.Status);
        await rig.DeliverSpawnsAsync();

        var calls = rig.Calls.Calls.ToList();
        Assert.All(calls, c => Assert.True(c.Response.Ok, $"{c.Method}: {GatewayHarness.Describe(c.Response)}"));
        Assert.Equal(
            [(GatewayMethods.Connect, ScopeSet.Admin), (GatewayMethods.SessionsPatch, ScopeSet.Admin), (GatewayMethods.Connect, ScopeSet.Write), (GatewayMethods.Agent, ScopeSet.Write)],
            calls.Select(c => (c.Method, c.Scopes)).ToArray());

        var identity = calls[0].DeviceId;
        var device = await rig.Gateway.Devices.GetDeviceAsync(identity, default);
        Assert.NotNull(device);
        Assert.Equal(OperatorScopes.Admin, device.Scopes);
        Assert.True(device.IsInternal);
        Assert.Equal(accepted.ChildSessionKey, device.BoundSessionKey);

        var run = await rig.Runs.GetAsync(accepted.RunId, default);
        Assert.NotNull(run);
        Assert.False(run.SenderIsOwner);
        Assert.Equal(RunLanes.Subagent, run.Lane);
        Assert.Equal(accepted.ChildSessionKey, run.SessionKey);
        Assert.Equal(requester, run.RequesterSessionKey);
        Assert.Empty(await rig.Gateway.Requests.ListAsync(identity, default));
    }

    [Fact]
    public async Task Fifty_spawns_ten_at_a_time_all_start_and_none_asks_for_a_scope_upgrade()
    {
        await using var rig = await SpawnRig.StartAsync();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var requesters = Enumerable.Range(0, 5).Select(_ => SpawnRig.NewMainSession()).ToArray();
        var accepted = new List<SpawnAccepted>();
        foreach (var requester in requesters)
        {
            for (var i = 0; i < 10; i++)
            {
                accepted.Add(await rig.SpawnAsync(op, new { sessionKey = requester, task = "task " + i }));
            }
        }

        var spawns = rig.Queues.TakeSpawns();
        Assert.Equal(50, spawns.Count);
        using var gate = new SemaphoreSlim(10);
        await Task.WhenAll(spawns.Select(async spawn =>
        {
            await gate.WaitAsync();
            try
            {
                await rig.Spawner.SpawnAsync(spawn, lastAttempt: false, CancellationToken.None);
            }
            finally
            {
                gate.Release();
            }
        }));

        foreach (var spawn in accepted)
        {
            var run = await rig.Runs.GetAsync(spawn.RunId, default);
            Assert.NotNull(run);
            Assert.Equal(RunStatuses.Queued, run.Status);
        }

        var calls = rig.Calls.Calls.ToList();
        Assert.Equal(200, calls.Count);
        Assert.All(calls, c => Assert.True(c.Response.Ok, $"{c.Method}: {GatewayHarness.Describe(c.Response)}"));
        var identities = calls.Select(c => c.DeviceId).Distinct().ToList();
        Assert.Equal(50, identities.Count);
        foreach (var identity in identities)
        {
            Assert.Empty(await rig.Gateway.Requests.ListAsync(identity, default));
            Assert.DoesNotContain(await rig.Gateway.AuditForAsync(identity), e => e.Reason == PairingReasons.ScopeUpgrade);
        }
    }

    [Fact]
    public async Task The_same_lifecycle_with_least_privilege_pairing_fails_with_a_scope_upgrade()
    {
        // The counterfactual: the reference gateway's policy, injected. The design, not luck, prevents the bug.
        await using var rig = await SpawnRig.StartAsync(new LeastPrivilegePolicy());
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var accepted = await rig.SpawnAsync(op, new { sessionKey = requester, task = "t" });

        var failure = await Assert.ThrowsAsync<SpawnStepFailedException>(() => rig.DeliverSpawnsAsync());

        Assert.Equal(GatewayMethods.Connect + " " + OperatorScopes.Admin, failure.Step);
        var error = GatewayHarness.Json(failure.Response.Error);
        Assert.Equal(ErrorCodes.NotPaired, error.GetProperty("code").GetString());
        Assert.Equal(PairingReasons.ScopeUpgrade, error.GetProperty("details").GetProperty("reason").GetString());
        var calls = rig.Calls.Calls.ToList();
        Assert.Equal((GatewayMethods.Connect, ScopeSet.Write, true), (calls[0].Method, calls[0].Scopes, calls[0].Response.Ok));
        Assert.Null(await rig.Runs.GetAsync(accepted.RunId, default));
    }
}
