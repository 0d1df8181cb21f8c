using FunctionsGateway.Core.Audit;
using FunctionsGateway.Client;
using FunctionsGateway.Core.Events;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Storage;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.Pairing;

/// <summary>Approvals, rejections, supersession, expiry and audit on real Table Storage (docs/protocol.md §4).</summary>
public sealed class PairingDecisionTests
{
    private static readonly string[] Read = [OperatorScopes.Read];
    private static readonly string[] Admin = [OperatorScopes.Admin];

    [Fact]
    public async Task Two_approvers_racing_on_one_request_give_one_approval_one_clean_error_and_one_token()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var requestId = (await gw.ConnectAsync(key, Read)).RequestId;

        var results = await Task.WhenAll(
            Task.Run(() => gw.Pairing.ApproveAsync(requestId, PairingActor.AdminApi, default)),
            Task.Run(() => gw.Pairing.ApproveAsync(requestId, PairingActor.System("second-approver"), default)));

        Assert.Single(results, r => r.Ok);
        var loser = Assert.Single(results, r => !r.Ok);
        Assert.Equal(ErrorCodes.InvalidRequest, loser.Error!.Code);
        Assert.Contains(GatewayHarness.Json(loser.Error).GetProperty("details").GetProperty("code").GetString(),
            new[] { DetailCodes.ConcurrentUpdate, DetailCodes.RequestResolved });

        var tokens = (await gw.DeviceRowsAsync(key.DeviceId)).Where(r => r.RowKey.StartsWith(DeviceRows.TokenPrefix, StringComparison.Ordinal)).ToList();
        Assert.Single(tokens);
        Assert.Single(await gw.AuditForAsync(key.DeviceId), a => a.Action == AuditActions.Approved);

        // The device then receives exactly one token, and only once.
        var first = await gw.ConnectAsync(key, Read);
        Assert.NotNull(first.DeviceToken);
        var second = await gw.ConnectAsync(key, Read, auth: new ConnectAuth { DeviceToken = first.DeviceToken });
        Assert.True(second.Response.Ok);
        Assert.Null(second.DeviceToken);
    }

    [Fact]
    public async Task Approve_racing_reject_resolves_the_request_exactly_once()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var requestId = (await gw.ConnectAsync(key, Read)).RequestId;

        var results = await Task.WhenAll(
            Task.Run(() => gw.Pairing.ApproveAsync(requestId, PairingActor.AdminApi, default)),
            Task.Run(() => gw.Pairing.RejectAsync(requestId, PairingActor.AdminApi, default)));

        var winner = Assert.Single(results, r => r.Ok);
        Assert.Single(results, r => !r.Ok);
        var decision = GatewayHarness.Json(winner.Payload).GetProperty("decision").GetString();
        var device = await gw.Devices.GetDeviceAsync(key.DeviceId, default);
        Assert.Equal(decision == "approved", device is not null);
        var audit = await gw.AuditForAsync(key.DeviceId);
        Assert.Single(audit, a => a.Action is AuditActions.Approved or AuditActions.Rejected);
        Assert.Empty(await gw.Requests.ListAsync(key.DeviceId, default));
    }

    [Fact]
    public async Task A_newer_request_supersedes_the_pending_one_which_resolves_as_rejected()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        await gw.PairAsync(key, Read);
        var older = (await gw.ConnectAsync(key, [OperatorScopes.Write])).RequestId;

        // The same ask again keeps the same request, so an approver's id stays good.
        Assert.Equal(older, (await gw.ConnectAsync(key, [OperatorScopes.Write])).RequestId);

        var newer = (await gw.ConnectAsync(key, Admin)).RequestId;

        Assert.NotEqual(older, newer);
        var pending = Assert.Single(await gw.Requests.ListAsync(key.DeviceId, default));
        Assert.Equal(newer, pending.RequestId);
        Assert.Contains(gw.Notifier.Events, e => e.Name == GatewayEvents.DevicePairResolved
            && e.Payload is PairResolvedEvent { Decision: "rejected" } r && r.RequestId == older);
        var approveOld = await gw.Pairing.ApproveAsync(older, PairingActor.AdminApi, default);
        Assert.Equal(DetailCodes.RequestNotFound, GatewayHarness.Json(approveOld.Error).GetProperty("details").GetProperty("code").GetString());
        Assert.Equal(OperatorScopes.Read, (await gw.Devices.GetDeviceAsync(key.DeviceId, default))!.Scopes);
        Assert.Contains(await gw.AuditForAsync(key.DeviceId), a => a.Action == AuditActions.Superseded && a.RequestId == older);
    }

    [Fact]
    public async Task Superseding_racing_an_approval_never_loses_an_update()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        await gw.PairAsync(key, Read);
        var older = (await gw.ConnectAsync(key, [OperatorScopes.Write])).RequestId;

        var approve = Task.Run(() => gw.Pairing.ApproveAsync(older, PairingActor.AdminApi, default));
        var supersede = Task.Run(() => gw.ConnectAsync(key, Admin));
        await Task.WhenAll(approve, supersede);

        var scopes = (await gw.Devices.GetDeviceAsync(key.DeviceId, default))!.Scopes;
        var pending = await gw.Requests.ListAsync(key.DeviceId, default);
        if ((await approve).Ok)
        {
            Assert.Equal("operator.read,operator.write", scopes);
        }
        else
        {
            Assert.Equal(OperatorScopes.Read, scopes);
        }

        // Whatever the interleaving, the admin ask is what stays pending, and only once.
        var only = Assert.Single(pending);
        Assert.Equal(Admin, only.RequestedScopes);
    }

    [Fact]
    public async Task An_expired_pending_request_cannot_be_approved()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var requestId = (await gw.ConnectAsync(key, Read)).RequestId;

        gw.Time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        var result = await gw.Pairing.ApproveAsync(requestId, PairingActor.AdminApi, default);

        Assert.False(result.Ok);
        Assert.Equal(DetailCodes.RequestExpired, GatewayHarness.Json(result.Error).GetProperty("details").GetProperty("code").GetString());
        Assert.Null(await gw.Devices.GetDeviceAsync(key.DeviceId, default));
        Assert.Empty(await gw.Requests.ListAsync(key.DeviceId, default));
        Assert.Contains(await gw.AuditForAsync(key.DeviceId), a => a.Action == AuditActions.Expired);
    }

    [Fact]
    public async Task Approval_grants_at_most_the_requested_scopes_and_issues_a_new_token_at_the_next_connect()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var paired = await gw.PairAsync(key, Read);
        var oldToken = paired.DeviceToken!;
        var requestId = (await gw.ConnectAsync(key, [OperatorScopes.Pairing])).RequestId;

        var approved = await gw.Pairing.ApproveAsync(requestId, PairingActor.AdminApi, default);

        Assert.True(approved.Ok);
        Assert.Equal("operator.pairing,operator.read", (await gw.Devices.GetDeviceAsync(key.DeviceId, default))!.Scopes);
        var reconnect = await gw.ConnectAsync(key, [OperatorScopes.Pairing], auth: new ConnectAuth { DeviceToken = oldToken });
        Assert.True(reconnect.Response.Ok, GatewayHarness.Describe(reconnect.Response));
        Assert.NotNull(reconnect.DeviceToken);
        Assert.NotEqual(oldToken, reconnect.DeviceToken);
        var stale = await gw.ConnectAsync(key, Read, auth: new ConnectAuth { DeviceToken = oldToken });
        Assert.Equal(DetailCodes.AuthDeviceTokenMismatch, stale.DetailCode);
        Assert.False((await gw.ConnectAsync(key, [OperatorScopes.Write])).Response.Ok);
    }

    [Fact]
    public async Task Every_decision_is_audited_with_scopes_from_and_to_and_the_actor()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        await gw.PairAsync(key, Read);
        var rejectMe = (await gw.ConnectAsync(key, Admin)).RequestId;
        await gw.Pairing.RejectAsync(rejectMe, PairingActor.System("reviewer"), default);
        await gw.Tokens.RotateAsync(key.DeviceId, GatewayRoles.Operator, PairingActor.AdminApi, default);
        await gw.Tokens.RevokeAsync(key.DeviceId, GatewayRoles.Operator, PairingActor.AdminApi, default);

        var audit = await gw.AuditForAsync(key.DeviceId);

        var requested = audit.Where(a => a.Action == AuditActions.Requested).ToList();
        Assert.Equal(2, requested.Count);
        Assert.Contains(requested, a => a.Reason == PairingReasons.NotPaired && a.ScopesFrom.Length == 0 && a.ScopesTo.SequenceEqual(Read));
        Assert.Contains(requested, a => a.Reason == PairingReasons.ScopeUpgrade && a.ScopesFrom.SequenceEqual(Read) && a.ScopesTo.SequenceEqual(new[] { OperatorScopes.Admin, OperatorScopes.Read }));
        var approved = Assert.Single(audit, a => a.Action == AuditActions.Approved);
        Assert.Equal("admin-api", approved.Actor);
        Assert.True(approved.ScopesTo.SequenceEqual(Read));
        var rejected = Assert.Single(audit, a => a.Action == AuditActions.Rejected);
        Assert.Equal("system:reviewer", rejected.Actor);
        Assert.Equal(rejectMe, rejected.RequestId);
        Assert.Single(audit, a => a.Action == AuditActions.TokenRotated && a.Actor == "admin-api");
        var revoked = Assert.Single(audit, a => a.Action == AuditActions.TokenRevoked);
        Assert.True(revoked.ScopesFrom.SequenceEqual(Read));
        Assert.Empty(revoked.ScopesTo);
        Assert.All(audit, a => Assert.Equal(key.DeviceId, a.DeviceId));
    }

    [Fact]
    public async Task The_admin_operations_list_approve_and_reject_by_exact_request_id()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var a = DeviceKey.Generate();
        using var b = DeviceKey.Generate();
        var ra = (await gw.ConnectAsync(a, Read)).RequestId;
        var rb = (await gw.ConnectAsync(b, Admin)).RequestId;

        var listed = await gw.Requests.ListAsync(null, default);
        Assert.Contains(listed, p => p.RequestId == ra && p.DeviceId == a.DeviceId);
        Assert.Contains(listed, p => p.RequestId == rb && p.DeviceId == b.DeviceId && p.RequestedScopes.SequenceEqual(Admin));

        var prefix = await gw.Pairing.ApproveAsync(ra[..8], PairingActor.AdminApi, default);
        Assert.Equal(DetailCodes.RequestNotFound, GatewayHarness.Json(prefix.Error).GetProperty("details").GetProperty("code").GetString());
        Assert.True((await gw.Pairing.ApproveAsync(ra, PairingActor.AdminApi, default)).Ok);
        Assert.True((await gw.Pairing.RejectAsync(rb, PairingActor.AdminApi, default)).Ok);

        Assert.NotNull(await gw.Devices.GetDeviceAsync(a.DeviceId, default));
        Assert.Null(await gw.Devices.GetDeviceAsync(b.DeviceId, default));
        var remaining = await gw.Requests.ListAsync(null, default);
        Assert.DoesNotContain(remaining, p => p.RequestId == ra || p.RequestId == rb);
    }
}
