using FunctionsGateway.Core.Audit;
using FunctionsGateway.Client;
using FunctionsGateway.Core.Events;
using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Methods;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Storage;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.Pairing;

/// <summary>The reference gateway's PoC and the bug this project is built around (docs/protocol.md §1, §4).</summary>
public sealed class ScopeUpgradeTests
{
    private static readonly string[] Read = [OperatorScopes.Read];
    private static readonly string[] Write = [OperatorScopes.Write];
    private static readonly string[] Admin = [OperatorScopes.Admin];

    [Fact]
    public async Task Read_paired_device_asking_for_admin_gets_pairing_required_and_nothing_stored_changes()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var paired = await gw.PairAsync(key, Read);
        var deviceToken = paired.DeviceToken!;
        var before = await gw.Devices.ReadAsync(key.DeviceId, GatewayRoles.Operator, false, default);

        var watcher = await WatcherEventsAfter(gw);
        var upgrade = await gw.ConnectAsync(key, Admin);

        Assert.False(upgrade.Response.Ok);
        Assert.Equal(ErrorCodes.NotPaired, upgrade.Response.Error!.Code);
        Assert.Equal("pairing required", upgrade.Response.Error.Message);
        Assert.Equal(DetailCodes.PairingRequired, upgrade.DetailCode);
        Assert.Equal(GatewayProtocol.PairingRequiredCloseReason, upgrade.Result.CloseAfterReason);
        var details = upgrade.Error.GetProperty("details");
        Assert.Equal(PairingReasons.ScopeUpgrade, details.GetProperty("reason").GetString());
        Assert.Equal(Admin, details.GetProperty("requestedScopes").EnumerateArray().Select(e => e.GetString()).ToArray());
        Assert.Equal(Read, details.GetProperty("approvedScopes").EnumerateArray().Select(e => e.GetString()).ToArray());

        var pending = await gw.Requests.ListAsync(key.DeviceId, default);
        var only = Assert.Single(pending);
        Assert.Equal(upgrade.RequestId, only.RequestId);
        Assert.Equal(PairingReasons.ScopeUpgrade, only.Reason);
        Assert.Contains(watcher(), e => e.Name == GatewayEvents.DevicePairRequested && e.Audience == EventAudience.PairingWatchers
            && ((PendingRequestView)e.Payload).RequestId == upgrade.RequestId);

        var after = await gw.Devices.ReadAsync(key.DeviceId, GatewayRoles.Operator, false, default);
        Assert.Equal(before.Device!.Scopes, after.Device!.Scopes);
        Assert.Equal(OperatorScopes.Read, after.Device.Scopes);
        Assert.Equal(before.Token!.TokenHash, after.Token!.TokenHash);
        Assert.Equal(before.Token.Scopes, after.Token.Scopes);
        Assert.False(after.Token.IssuePending);

        // The device token is no way around the gate either.
        var viaToken = await gw.ConnectAsync(key, Admin, auth: new ConnectAuth { DeviceToken = deviceToken });
        Assert.False(viaToken.Response.Ok);
        Assert.Equal(DetailCodes.PairingRequired, viaToken.DetailCode);
        Assert.Equal(upgrade.RequestId, viaToken.RequestId);

        // And the old grant still works exactly as before.
        var stillRead = await gw.ConnectAsync(key, Read, auth: new ConnectAuth { DeviceToken = deviceToken });
        Assert.True(stillRead.Response.Ok, GatewayHarness.Describe(stillRead.Response));
    }

    [Fact]
    public async Task Per_method_least_privilege_on_a_shared_identity_reproduces_the_original_bug()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var shared = DeviceKey.Generate();

        // First call of the sub-agent: `agent` needs write, so the shared identity is paired at write...
        await gw.PairAsync(shared, Write);

        // ...and its next call, sessions.patch at admin, is a scope upgrade that is not approved.
        var patch = await gw.ConnectAsync(shared, Admin);
        Assert.False(patch.Response.Ok);
        Assert.Equal(DetailCodes.PairingRequired, patch.DetailCode);
        Assert.Equal(PairingReasons.ScopeUpgrade, patch.Error.GetProperty("details").GetProperty("reason").GetString());
        var device = await gw.Devices.GetDeviceAsync(shared.DeviceId, default);
        Assert.Equal(OperatorScopes.Write, device!.Scopes);
    }

    [Fact]
    public async Task Internal_identity_first_pairing_at_admin_is_silent_and_later_least_privilege_calls_need_no_upgrade()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var subagent = DeviceKey.Generate();
        await gw.Devices.RegisterInternalIdentityAsync(subagent.DeviceId, "agent:main:subagent:1", gw.Time.GetUtcNow(), default);

        var first = await gw.ConnectAsync(subagent, Admin, origin: CallOrigin.Internal);
        Assert.True(first.Response.Ok, GatewayHarness.Describe(first.Response));
        var device = await gw.Devices.GetDeviceAsync(subagent.DeviceId, default);
        Assert.Equal(OperatorScopes.Admin, device!.Scopes);
        Assert.True(device.IsInternal);
        Assert.Empty(await gw.Requests.ListAsync(subagent.DeviceId, default));
        Assert.Contains(await gw.AuditForAsync(subagent.DeviceId), a => a.Action == AuditActions.SilentlyApproved && a.ScopesTo.SequenceEqual(Admin));

        // agent at write, sessions.patch at admin: both within the admin baseline, and each connection keeps its own scopes.
        var agent = await gw.ConnectAsync(subagent, Write, origin: CallOrigin.Internal);
        Assert.True(agent.Response.Ok);
        Assert.Equal(Write, agent.Payload.GetProperty("auth").GetProperty("scopes").EnumerateArray().Select(e => e.GetString()).ToArray());
        var adminOnlyOnWrite = await gw.CallAsync(agent.ConnectionId, GatewayMethods.SessionsPatch, origin: CallOrigin.Internal);
        Assert.Equal("missing scope: operator.admin", adminOnlyOnWrite.Response.Error!.Message);

        var patch = await gw.ConnectAsync(subagent, Admin, origin: CallOrigin.Internal);
        Assert.True(patch.Response.Ok);
        Assert.True((await gw.CallAsync(patch.ConnectionId, GatewayMethods.Status, origin: CallOrigin.Internal)).Response.Ok);

        // Admin on a sub-agent is for its own session's lifecycle, never the gateway's pairing or audit surface.
        foreach (var method in new[] { GatewayMethods.AuditList, GatewayMethods.DevicePairList, GatewayMethods.DevicePairApprove, GatewayMethods.DeviceTokenRevoke, "config.set" })
        {
            var refused = await gw.CallAsync(patch.ConnectionId, method, origin: CallOrigin.Internal);
            Assert.Equal(DetailCodes.InternalIdentityBoundary, GatewayHarness.Json(refused.Response.Error).GetProperty("details").GetProperty("code").GetString());
        }

        // Registering the same key again can never re-open the silent path.
        Assert.False(await gw.Devices.RegisterInternalIdentityAsync(subagent.DeviceId, null, gw.Time.GetUtcNow(), default));
    }

    [Fact]
    public async Task Scope_upgrade_is_never_silent_for_an_internal_identity()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var subagent = DeviceKey.Generate();
        await gw.Devices.RegisterInternalIdentityAsync(subagent.DeviceId, null, gw.Time.GetUtcNow(), default);
        Assert.True((await gw.ConnectAsync(subagent, Write, origin: CallOrigin.Internal)).Response.Ok);

        var upgrade = await gw.ConnectAsync(subagent, Admin, origin: CallOrigin.Internal);

        Assert.False(upgrade.Response.Ok);
        Assert.Equal(PairingReasons.ScopeUpgrade, upgrade.Error.GetProperty("details").GetProperty("reason").GetString());
        Assert.Equal(OperatorScopes.Write, (await gw.Devices.GetDeviceAsync(subagent.DeviceId, default))!.Scopes);
    }

    [Fact]
    public async Task Scope_upgrade_is_never_silent_for_a_paired_external_device_even_with_the_shared_token()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        await gw.PairAsync(key, Read);

        var upgrade = await gw.ConnectAsync(key, [OperatorScopes.Read, OperatorScopes.Pairing], origin: CallOrigin.Network);

        Assert.Equal(DetailCodes.PairingRequired, upgrade.DetailCode);
        Assert.Equal(OperatorScopes.Read, (await gw.Devices.GetDeviceAsync(key.DeviceId, default))!.Scopes);
    }

    [Fact]
    public async Task A_network_caller_never_pairs_silently_even_with_an_internal_identity_key()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var stolen = DeviceKey.Generate();
        await gw.Devices.RegisterInternalIdentityAsync(stolen.DeviceId, null, gw.Time.GetUtcNow(), default);

        var remote = await gw.ConnectAsync(stolen, Admin, origin: CallOrigin.Network);

        Assert.Equal(DetailCodes.PairingRequired, remote.DetailCode);
        Assert.Equal(PairingReasons.NotPaired, remote.Error.GetProperty("details").GetProperty("reason").GetString());
        Assert.Null(await gw.Devices.GetDeviceAsync(stolen.DeviceId, default));
    }

    [Fact]
    public async Task Internal_origin_without_a_registered_identity_is_not_silent()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var unknown = DeviceKey.Generate();

        var attempt = await gw.ConnectAsync(unknown, Admin, origin: CallOrigin.Internal);

        Assert.Equal(DetailCodes.PairingRequired, attempt.DetailCode);
        Assert.Null(await gw.Devices.GetDeviceAsync(unknown.DeviceId, default));
    }

    [Fact]
    public async Task Role_and_metadata_changes_are_upgrades_that_need_approval()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        await gw.PairAsync(key, Read);

        var asNode = await gw.ConnectAsync(key, [], role: GatewayRoles.Node);
        Assert.Equal(PairingReasons.RoleUpgrade, asNode.Error.GetProperty("details").GetProperty("reason").GetString());

        var otherPlatform = await gw.ConnectAsync(key, Read, platform: "windows");
        Assert.Equal(PairingReasons.MetadataUpgrade, otherPlatform.Error.GetProperty("details").GetProperty("reason").GetString());

        // Case and whitespace are normalized before the comparison, as they are before signing.
        var sameAfterNormalizing = await gw.ConnectAsync(key, Read, platform: "  LINUX ");
        Assert.True(sameAfterNormalizing.Response.Ok, GatewayHarness.Describe(sameAfterNormalizing.Response));
    }

    private static async Task<Func<IReadOnlyList<PublishedEvent>>> WatcherEventsAfter(GatewayHarness gw)
    {
        await Task.CompletedTask;
        var skip = gw.Notifier.Events.Count;
        return () => [.. gw.Notifier.Events.Skip(skip)];
    }
}
