using FunctionsGateway.Core.Audit;
using FunctionsGateway.Client;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Storage;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.Dispatch;

/// <summary>Per-request authorization and the pairing methods, through the dispatcher the transport calls.</summary>
public sealed class DispatcherTests
{
    [Fact]
    public async Task Every_request_is_authorized_against_the_connections_scopes_not_the_device_baseline()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        await gw.PairAsync(key, [OperatorScopes.Admin]);

        // Paired at admin, but this connection asked only for read.
        var readOnly = await gw.ConnectAsync(key, [OperatorScopes.Read]);

        Assert.True((await gw.CallAsync(readOnly.ConnectionId, GatewayMethods.Status)).Response.Ok);
        Assert.Equal("missing scope: operator.pairing", (await gw.CallAsync(readOnly.ConnectionId, GatewayMethods.DevicePairList)).Response.Error!.Message);
        Assert.Equal("missing scope: operator.admin", (await gw.CallAsync(readOnly.ConnectionId, GatewayMethods.AuditList)).Response.Error!.Message);
        Assert.Equal("missing scope: operator.admin", (await gw.CallAsync(readOnly.ConnectionId, "no.such.method")).Response.Error!.Message);
        Assert.Equal("missing scope: operator.admin", (await gw.CallAsync(readOnly.ConnectionId, "config.set")).Response.Error!.Message);

        var admin = await gw.ConnectAsync(key, [OperatorScopes.Admin]);
        Assert.Equal("unknown method: no.such.method", (await gw.CallAsync(admin.ConnectionId, "no.such.method")).Response.Error!.Message);
        Assert.Equal("unauthorized role: operator", (await gw.CallAsync(admin.ConnectionId, GatewayMethods.NodeEvent)).Response.Error!.Message);
    }

    [Fact]
    public async Task A_node_connection_may_call_only_node_methods_and_health()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var node = await gw.PairAsync(key, [], role: GatewayRoles.Node);

        Assert.True((await gw.CallAsync(node.ConnectionId, GatewayMethods.Health)).Response.Ok);
        foreach (var method in new[] { GatewayMethods.Status, GatewayMethods.Agent, GatewayMethods.DevicePairList, GatewayMethods.AuditList, "no.such.method" })
        {
            Assert.Equal("unauthorized role: node", (await gw.CallAsync(node.ConnectionId, method)).Response.Error!.Message);
        }

        // node.event passes authorization and reaches its handler, which wants a run id.
        var nodeEvent = (await gw.CallAsync(node.ConnectionId, GatewayMethods.NodeEvent)).Response;
        Assert.Equal("invalid params: runId is required", nodeEvent.Error!.Message);
    }

    [Fact]
    public async Task An_approver_over_the_gateway_must_hold_every_scope_it_grants_and_cannot_approve_itself()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var approverKey = DeviceKey.Generate();
        using var applicant = DeviceKey.Generate();
        await gw.PairAsync(approverKey, [OperatorScopes.Pairing, OperatorScopes.Write]);
        var approver = await gw.ConnectAsync(approverKey, [OperatorScopes.Pairing, OperatorScopes.Write]);
        var wantsAdmin = (await gw.ConnectAsync(applicant, [OperatorScopes.Admin])).RequestId;

        var tooHigh = await gw.CallAsync(approver.ConnectionId, GatewayMethods.DevicePairApprove, new { requestId = wantsAdmin });
        Assert.Equal("missing scope: operator.admin", tooHigh.Response.Error!.Message);
        Assert.Null(await gw.Devices.GetDeviceAsync(applicant.DeviceId, default));

        var wantsRead = (await gw.ConnectAsync(applicant, [OperatorScopes.Read])).RequestId;
        var ok = await gw.CallAsync(approver.ConnectionId, GatewayMethods.DevicePairApprove, new { requestId = wantsRead });
        Assert.True(ok.Response.Ok, GatewayHarness.Describe(ok.Response));
        var audit = await gw.AuditForAsync(applicant.DeviceId);
        Assert.Contains(audit, a => a.Action == AuditActions.Approved && a.Actor == "device:" + approverKey.DeviceId);

        // The approver's own upgrade cannot be approved by itself.
        var own = (await gw.ConnectAsync(approverKey, [OperatorScopes.Admin])).RequestId;
        var self = await gw.CallAsync(approver.ConnectionId, GatewayMethods.DevicePairApprove, new { requestId = own });
        Assert.Equal(DetailCodes.SelfApproval, GatewayHarness.Json(self.Response.Error).GetProperty("details").GetProperty("code").GetString());
        Assert.Equal("operator.pairing,operator.write", (await gw.Devices.GetDeviceAsync(approverKey.DeviceId, default))!.Scopes);
    }

    [Fact]
    public async Task Revoking_a_token_closes_and_invalidates_that_devices_live_connections()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var adminKey = DeviceKey.Generate();
        using var key = DeviceKey.Generate();
        await gw.PairAsync(adminKey, [OperatorScopes.Admin]);
        var admin = await gw.ConnectAsync(adminKey, [OperatorScopes.Admin]);
        var live = await gw.PairAsync(key, [OperatorScopes.Read]);
        Assert.True((await gw.CallAsync(live.ConnectionId, GatewayMethods.Status)).Response.Ok);

        var revoke = await gw.CallAsync(admin.ConnectionId, GatewayMethods.DeviceTokenRevoke, new { deviceId = key.DeviceId, role = "operator" });

        Assert.True(revoke.Response.Ok, GatewayHarness.Describe(revoke.Response));
        Assert.Contains(gw.Notifier.Closed, c => c.ConnectionId == live.ConnectionId && c.Reason == DeviceTokenService.RevokedCloseReason);
        var after = await gw.CallAsync(live.ConnectionId, GatewayMethods.Status);
        Assert.Equal(DetailCodes.ConnectionClosed, GatewayHarness.Json(after.Response.Error).GetProperty("details").GetProperty("code").GetString());
        Assert.True((await gw.CallAsync(admin.ConnectionId, GatewayMethods.Status)).Response.Ok);
    }

    [Fact]
    public async Task Removing_a_device_deletes_its_records_and_closes_its_connections()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var adminKey = DeviceKey.Generate();
        using var key = DeviceKey.Generate();
        await gw.PairAsync(adminKey, [OperatorScopes.Admin]);
        var admin = await gw.ConnectAsync(adminKey, [OperatorScopes.Admin]);
        var live = await gw.PairAsync(key, [OperatorScopes.Read]);

        var removed = await gw.CallAsync(admin.ConnectionId, GatewayMethods.DevicePairRemove, new { deviceId = key.DeviceId });

        Assert.True(removed.Response.Ok, GatewayHarness.Describe(removed.Response));
        Assert.Empty(await gw.DeviceRowsAsync(key.DeviceId));
        Assert.Contains(gw.Notifier.Closed, c => c.ConnectionId == live.ConnectionId);
        Assert.False((await gw.CallAsync(live.ConnectionId, GatewayMethods.Status)).Response.Ok);
        Assert.Equal(PairingReasons.NotPaired, (await gw.ConnectAsync(key, [OperatorScopes.Read])).Error.GetProperty("details").GetProperty("reason").GetString());
        Assert.Contains(await gw.AuditForAsync(key.DeviceId), a => a.Action == AuditActions.Removed);
    }

    [Fact]
    public async Task Managing_another_devices_token_takes_pairing_and_every_scope_that_device_holds()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var mine = DeviceKey.Generate();
        using var theirs = DeviceKey.Generate();
        await gw.PairAsync(mine, [OperatorScopes.Pairing]);
        await gw.PairAsync(theirs, [OperatorScopes.Read]);
        var me = await gw.ConnectAsync(mine, [OperatorScopes.Pairing]);

        var other = await gw.CallAsync(me.ConnectionId, GatewayMethods.DeviceTokenRevoke, new { deviceId = theirs.DeviceId });
        Assert.Equal("missing scope: operator.read", other.Response.Error!.Message);

        var rotated = await gw.CallAsync(me.ConnectionId, GatewayMethods.DeviceTokenRotate);
        Assert.True(rotated.Response.Ok);
        var newToken = GatewayHarness.Json(rotated.Response.Payload).GetProperty("deviceToken").GetString();
        Assert.True((await gw.ConnectAsync(mine, [OperatorScopes.Pairing], auth: new ConnectAuth { DeviceToken = newToken })).Response.Ok);
    }

    [Fact]
    public async Task Pairing_list_shows_pending_requests_and_never_token_material()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var adminKey = DeviceKey.Generate();
        using var applicant = DeviceKey.Generate();
        var paired = await gw.PairAsync(adminKey, [OperatorScopes.Admin]);
        var requestId = (await gw.ConnectAsync(applicant, [OperatorScopes.Read])).RequestId;

        // The list is paged, and this Azurite holds every test's devices: read every page.
        var json = new System.Text.StringBuilder();
        object? parameters = null;
        do
        {
            var list = await gw.CallAsync(paired.ConnectionId, GatewayMethods.DevicePairList, parameters);
            Assert.True(list.Response.Ok, GatewayHarness.Describe(list.Response));
            json.Append(GatewayHarness.Describe(list.Response));
            parameters = GatewayHarness.Json(list.Response.Payload).TryGetProperty("next", out var next) ? new { limit = 500, next = next.GetString() } : null;
        }
        while (parameters is not null);

        Assert.Contains(requestId, json.ToString(), StringComparison.Ordinal);
        Assert.Contains(adminKey.DeviceId, json.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(paired.DeviceToken!, json.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("tokenHash", json.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Wrong_param_types_are_structured_errors_that_change_nothing()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var adminKey = DeviceKey.Generate();
        using var applicant = DeviceKey.Generate();
        var admin = await gw.PairAsync(adminKey, [OperatorScopes.Admin]);
        var requestId = (await gw.ConnectAsync(applicant, [OperatorScopes.Read])).RequestId;

        foreach (var bad in new object?[] { new { requestId = 42 }, "just-a-string", new[] { 1, 2 }, new { }, new { requestId = "" } })
        {
            var result = await gw.CallAsync(admin.ConnectionId, GatewayMethods.DevicePairApprove, bad);
            Assert.Equal(DetailCodes.InvalidParams, GatewayHarness.Json(result.Response.Error).GetProperty("details").GetProperty("code").GetString());
        }

        var auditBad = await gw.CallAsync(admin.ConnectionId, GatewayMethods.AuditList, new { limit = "lots" });
        Assert.Equal(DetailCodes.InvalidParams, GatewayHarness.Json(auditBad.Response.Error).GetProperty("details").GetProperty("code").GetString());
        Assert.Single(await gw.Requests.ListAsync(applicant.DeviceId, default), p => p.RequestId == requestId);
        Assert.Null(await gw.Devices.GetDeviceAsync(applicant.DeviceId, default));
    }
}
