using FunctionsGateway.Client;
using FunctionsGateway.Core.Audit;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.Pairing;

/// <summary>Breaks found by attacking the gateway, each pinned by a test that failed before its fix.</summary>
public sealed class HardeningTests
{
    [Fact]
    public async Task A_reject_landing_after_an_approval_of_the_same_request_is_told_it_lost()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var requestId = (await gw.ConnectAsync(key, [OperatorScopes.Read])).RequestId;
        GatewayResponse? approved = null;

        // The approval commits between the reject's read of the request and its commit (the conditional delete of the
        // request with the decision's record, one batch), which then finds the row gone and fails as a whole.
        gw.StorageRequests.InterceptOnce(
            (method, path) => method == "POST" && path.Contains("$batch", StringComparison.Ordinal),
            async () => approved = await gw.Pairing.ApproveAsync(requestId, PairingActor.AdminApi, default));
        var rejected = await gw.Pairing.RejectAsync(requestId, PairingActor.AdminApi, default);

        Assert.True(approved!.Ok, GatewayHarness.Describe(approved));
        Assert.False(rejected.Ok);
        Assert.Equal(DetailCodes.ConcurrentUpdate, GatewayHarness.Json(rejected.Error).GetProperty("details").GetProperty("code").GetString());
        Assert.NotNull(await gw.Devices.GetDeviceAsync(key.DeviceId, default));
        var audit = await gw.AuditForAsync(key.DeviceId);
        Assert.Contains(audit, a => a.Action == AuditActions.Approved);
        Assert.DoesNotContain(audit, a => a.Action == AuditActions.Rejected);
    }

    [Fact]
    public async Task Approving_a_node_takes_operator_admin_not_only_operator_pairing()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var approverKey = DeviceKey.Generate();
        using var nodeKey = DeviceKey.Generate();
        await gw.PairAsync(approverKey, [OperatorScopes.Pairing]);
        var approver = await gw.ConnectAsync(approverKey, [OperatorScopes.Pairing]);
        var requestId = (await gw.ConnectAsync(nodeKey, [], GatewayRoles.Node)).RequestId;

        var refused = await gw.CallAsync(approver.ConnectionId, GatewayMethods.DevicePairApprove, new { requestId });

        Assert.Equal("missing scope: operator.admin", refused.Response.Error!.Message);
        Assert.Null(await gw.Devices.GetDeviceAsync(nodeKey.DeviceId, default));
        Assert.True((await gw.Pairing.ApproveAsync(requestId, PairingActor.AdminApi, default)).Ok);
    }

    [Theory]
    [InlineData(GatewayMethods.DeviceTokenRevoke, DeviceTokenService.RevokedCloseReason)]
    [InlineData(GatewayMethods.DeviceTokenRotate, DeviceTokenService.RotatedCloseReason)]
    [InlineData(GatewayMethods.DevicePairRemove, DeviceRemoval.RemovedCloseReason)]
    public async Task A_device_acting_on_itself_gets_its_answer_before_its_connection_closes(string method, string reason)
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        await gw.PairAsync(key, [OperatorScopes.Pairing]);
        var me = await gw.ConnectAsync(key, [OperatorScopes.Pairing]);
        var other = await gw.ConnectAsync(key, [OperatorScopes.Pairing]);

        var result = await gw.CallAsync(me.ConnectionId, method);

        Assert.True(result.Response.Ok, GatewayHarness.Describe(result.Response));
        Assert.Equal(reason, result.CloseAfterReason);
        Assert.DoesNotContain(gw.Notifier.Closed, c => c.ConnectionId == me.ConnectionId);
        Assert.Contains(gw.Notifier.Closed, c => c.ConnectionId == other.ConnectionId && c.Reason == reason);
        Assert.False((await gw.CallAsync(me.ConnectionId, GatewayMethods.Status)).Response.Ok);
    }

    [Fact]
    public async Task Rotating_another_devices_token_closes_its_live_connections_and_never_shows_the_token()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var adminKey = DeviceKey.Generate();
        using var key = DeviceKey.Generate();
        await gw.PairAsync(adminKey, [OperatorScopes.Admin]);
        var admin = await gw.ConnectAsync(adminKey, [OperatorScopes.Admin]);
        var live = await gw.PairAsync(key, [OperatorScopes.Read]);

        var rotated = await gw.CallAsync(admin.ConnectionId, GatewayMethods.DeviceTokenRotate, new { deviceId = key.DeviceId });

        Assert.True(rotated.Response.Ok, GatewayHarness.Describe(rotated.Response));
        Assert.False(GatewayHarness.Json(rotated.Response.Payload).TryGetProperty("deviceToken", out _));
        Assert.Null(rotated.CloseAfterReason);
        Assert.Contains(gw.Notifier.Closed, c => c.ConnectionId == live.ConnectionId && c.Reason == DeviceTokenService.RotatedCloseReason);
        Assert.False((await gw.CallAsync(live.ConnectionId, GatewayMethods.Status)).Response.Ok);
    }

    [Fact]
    public async Task A_pairing_holder_manages_a_device_within_its_own_scopes_and_a_node_only_with_admin()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var mine = DeviceKey.Generate();
        using var reader = DeviceKey.Generate();
        using var node = DeviceKey.Generate();
        await gw.PairAsync(mine, [OperatorScopes.Pairing, OperatorScopes.Read]);
        await gw.PairAsync(reader, [OperatorScopes.Read]);
        await gw.PairAsync(node, [], GatewayRoles.Node);
        var me = await gw.ConnectAsync(mine, [OperatorScopes.Pairing, OperatorScopes.Read]);

        var revoked = await gw.CallAsync(me.ConnectionId, GatewayMethods.DeviceTokenRevoke, new { deviceId = reader.DeviceId });
        var nodeRevoke = await gw.CallAsync(me.ConnectionId, GatewayMethods.DeviceTokenRevoke, new { deviceId = node.DeviceId, role = GatewayRoles.Node });

        Assert.True(revoked.Response.Ok, GatewayHarness.Describe(revoked.Response));
        Assert.Equal("missing scope: operator.admin", nodeRevoke.Response.Error!.Message);
    }

    [Fact]
    public async Task After_not_paired_a_connection_gets_no_further_admission_attempt_as_any_device()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var first = DeviceKey.Generate();
        using var second = DeviceKey.Generate();
        var attempt = await gw.ConnectAsync(first, [OperatorScopes.Read]);
        Assert.Equal(DetailCodes.PairingRequired, attempt.DetailCode);

        // The challenge is stateless and still handed out; the connect with it is refused.
        var again = await gw.ConnectAsync(second, [OperatorScopes.Read], connectionId: attempt.ConnectionId);

        Assert.Equal(DetailCodes.ConnectionClosed, again.DetailCode);
        Assert.Single(await gw.Requests.ListAsync(null, default), r => r.DeviceId == first.DeviceId);
        Assert.Empty(await gw.Requests.ListAsync(second.DeviceId, default));
    }

    [Theory]
    [InlineData(long.MinValue)]
    [InlineData(long.MaxValue)]
    [InlineData(-1L)]
    public async Task A_signed_at_far_out_of_range_is_an_expired_signature_not_an_overflow(long signedAt)
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();

        var attempt = await gw.ConnectAsync(key, [OperatorScopes.Read], tamper: p => p with { Device = p.Device! with { SignedAt = signedAt } });

        Assert.Equal(DetailCodes.SignatureExpired, attempt.DetailCode);
        Assert.Empty(await gw.DeviceRowsAsync(key.DeviceId));
    }

    [Fact]
    public async Task Ids_that_are_not_ids_are_refused_before_storage_sees_them()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var adminKey = DeviceKey.Generate();
        await gw.PairAsync(adminKey, [OperatorScopes.Admin]);
        var admin = await gw.ConnectAsync(adminKey, [OperatorScopes.Admin]);
        gw.StorageRequests.Clear();

        var approve = await gw.CallAsync(admin.ConnectionId, GatewayMethods.DevicePairApprove, new { requestId = "../../x/y" });
        var revoke = await gw.CallAsync(admin.ConnectionId, GatewayMethods.DeviceTokenRevoke, new { deviceId = "a/b" });
        var adminApi = await gw.Pairing.RejectAsync("0123456789abcdef0123456789abcdef/", PairingActor.AdminApi, default);

        Assert.Equal(DetailCodes.RequestNotFound, GatewayHarness.Json(approve.Response.Error).GetProperty("details").GetProperty("code").GetString());
        Assert.Equal(DetailCodes.InvalidParams, GatewayHarness.Json(revoke.Response.Error).GetProperty("details").GetProperty("code").GetString());
        Assert.Equal(DetailCodes.RequestNotFound, GatewayHarness.Json(adminApi.Error).GetProperty("details").GetProperty("code").GetString());
        Assert.DoesNotContain(gw.StorageRequests.Requests, r => r.Path.Contains('/' + "x/y", StringComparison.Ordinal) || r.Path.Contains("a/b", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_omitted_platform_on_reconnect_keeps_the_stored_one_and_is_no_metadata_upgrade()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        await gw.PairAsync(key, [OperatorScopes.Read]);

        var omitted = await gw.ConnectAsync(key, [OperatorScopes.Read], platform: "");
        var changed = await gw.ConnectAsync(key, [OperatorScopes.Read], platform: "windows");

        Assert.True(omitted.Response.Ok, GatewayHarness.Describe(omitted.Response));
        Assert.Equal(PairingReasons.MetadataUpgrade, changed.Error.GetProperty("details").GetProperty("reason").GetString());
        Assert.Equal("linux", (await gw.Devices.GetDeviceAsync(key.DeviceId, default))!.Platform);
    }
}
