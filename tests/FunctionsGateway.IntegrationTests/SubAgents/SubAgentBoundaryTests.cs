using FunctionsGateway.Client;
using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Sessions;
using FunctionsGateway.Core.SubAgents;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.SubAgents;

/// <summary>A sub-agent identity holds operator.admin, but it reaches only its own child session, and only in process.</summary>
public sealed class SubAgentBoundaryTests
{
    [Theory]
    [InlineData(GatewayMethods.SessionsPatch)]
    [InlineData(GatewayMethods.SessionsDelete)]
    [InlineData(GatewayMethods.Agent)]
    [InlineData(GatewayMethods.SessionsSpawn)]
    public async Task A_sub_agents_admin_on_a_foreign_session_is_refused_and_audited(string method)
    {
        await using var rig = await SpawnRig.StartAsync();
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var spawn = await rig.SpawnAsync(op, new { sessionKey = requester, task = "t" });
        await rig.DeliverSpawnsAsync();
        var identity = (await rig.Sessions.GetAsync(spawn.ChildSessionKey, default))!.OwnerDeviceId!;
        var foreign = SpawnRig.NewMainSession();

        var connection = InternalIdentity.ConnectionId(identity, method == GatewayMethods.SessionsPatch || method == GatewayMethods.SessionsDelete ? ScopeSet.Admin : ScopeSet.Write);
        var refused = await rig.Gateway.CallAsync(connection, method, new { sessionKey = foreign, task = "t", label = "x" }, CallOrigin.Internal);

        Assert.Equal(DetailCodes.InternalIdentityBoundary, Code(refused.Response));
        Assert.Null(await rig.Sessions.GetAsync(foreign, default));
        Assert.Contains(await rig.Gateway.AuditForAsync(identity), e => e.Action == SessionAccess.BoundaryAction && e.Reason!.Contains(foreign, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(GatewayMethods.DevicePairList)]
    [InlineData(GatewayMethods.AuditList)]
    [InlineData("config.set")]
    public async Task A_spawned_sub_agent_cannot_call_pairing_audit_or_config(string method)
    {
        await using var rig = await SpawnRig.StartAsync();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var spawn = await rig.SpawnAsync(op, new { sessionKey = SpawnRig.NewMainSession(), task = "t" });
        await rig.DeliverSpawnsAsync();
        var identity = (await rig.Sessions.GetAsync(spawn.ChildSessionKey, default))!.OwnerDeviceId!;

        var refused = await rig.Gateway.CallAsync(InternalIdentity.ConnectionId(identity, ScopeSet.Admin), method, null, CallOrigin.Internal);

        Assert.Equal(DetailCodes.InternalIdentityBoundary, Code(refused.Response));
    }

    [Fact]
    public async Task A_sub_agent_connection_is_not_reachable_from_the_network()
    {
        await using var rig = await SpawnRig.StartAsync();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var spawn = await rig.SpawnAsync(op, new { sessionKey = SpawnRig.NewMainSession(), task = "t" });
        await rig.DeliverSpawnsAsync();
        var identity = (await rig.Sessions.GetAsync(spawn.ChildSessionKey, default))!.OwnerDeviceId!;

        var refused = await rig.Gateway.CallAsync(InternalIdentity.ConnectionId(identity, ScopeSet.Admin), GatewayMethods.SessionsGet,
            new { sessionKey = spawn.ChildSessionKey }, CallOrigin.Network);

        Assert.Equal(DetailCodes.InternalIdentityBoundary, Code(refused.Response));
    }

    [Fact]
    public async Task A_paired_sub_agent_key_presented_over_the_network_is_refused()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var child = SessionKeys.Subagent("main", Guid.NewGuid());
        Assert.True(await gw.Devices.RegisterInternalIdentityAsync(key.DeviceId, child, gw.Time.GetUtcNow(), default));
        var inProcess = await gw.ConnectAsync(key, [OperatorScopes.Admin], origin: CallOrigin.Internal);
        Assert.True(inProcess.Response.Ok, GatewayHarness.Describe(inProcess.Response));

        var overNetwork = await gw.ConnectAsync(key, [OperatorScopes.Admin]);

        Assert.Equal(DetailCodes.InternalIdentityBoundary, overNetwork.DetailCode);
    }

    private static string? Code(GatewayResponse response) => GatewayHarness.Json(response.Error).GetProperty("details").GetProperty("code").GetString();
}
