using System.Text.Json;
using FunctionsGateway.Client;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Hosting;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.Pairing;

/// <summary>A second decision on a decided request answers 409 <c>PAIRING_REQUEST_RESOLVED</c>, as the README promises.</summary>
public sealed class ResolvedRequestTests
{
    private static readonly string[] Read = [OperatorScopes.Read];

    [Theory]
    [InlineData("approve", "approve", "approved")]
    [InlineData("approve", "reject", "approved")]
    [InlineData("reject", "approve", "rejected")]
    [InlineData("reject", "reject", "rejected")]
    public async Task The_admin_api_answers_409_request_resolved_to_a_second_decision(string first, string second, string decision)
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var requestId = (await gw.ConnectAsync(key, Read)).RequestId;
        var endpoint = new AdminPairingEndpoint(gw.Get<PairingPaging>(), gw.Pairing);

        var decided = await Decide(endpoint, first, requestId);
        var again = await Decide(endpoint, second, requestId);

        Assert.Equal(200, decided.Status);
        Assert.Equal(409, again.Status);
        var details = JsonDocument.Parse(again.Body).RootElement.GetProperty("error").GetProperty("details");
        Assert.Equal(DetailCodes.RequestResolved, details.GetProperty("code").GetString());
        Assert.Equal(decision, details.GetProperty("decision").GetString());
        Assert.Equal(requestId, details.GetProperty("requestId").GetString());
        Assert.Equal(key.DeviceId, details.GetProperty("deviceId").GetString());
        Assert.Equal(decision == "approved", await gw.Devices.GetDeviceAsync(key.DeviceId, default) is not null);
    }

    [Fact]
    public async Task Over_the_gateway_a_second_decision_gets_the_same_detail_code_and_changes_nothing()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var adminKey = DeviceKey.Generate();
        using var key = DeviceKey.Generate();
        await gw.PairAsync(adminKey, [OperatorScopes.Admin]);
        var admin = (await gw.ConnectAsync(adminKey, [OperatorScopes.Admin])).ConnectionId;
        var requestId = (await gw.ConnectAsync(key, Read)).RequestId;

        Assert.True((await gw.CallAsync(admin, GatewayMethods.DevicePairApprove, new { requestId })).Response.Ok);
        var approveAgain = await gw.CallAsync(admin, GatewayMethods.DevicePairApprove, new { requestId });
        var rejectAfter = await gw.CallAsync(admin, GatewayMethods.DevicePairReject, new { requestId });

        Assert.Equal(DetailCodes.RequestResolved, approveAgain.DetailCode());
        Assert.Equal(DetailCodes.RequestResolved, rejectAfter.DetailCode());
        Assert.Equal(ErrorCodes.InvalidRequest, rejectAfter.Response.Error!.Code);
        Assert.Equal(OperatorScopes.Read, (await gw.Devices.GetDeviceAsync(key.DeviceId, default))!.Scopes);
        Assert.Single(await gw.AuditForAsync(key.DeviceId), a => a.Action == Core.Audit.AuditActions.Approved);
    }

    [Fact]
    public async Task An_unknown_request_is_still_404_and_an_expired_one_409_expired()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var endpoint = new AdminPairingEndpoint(gw.Get<PairingPaging>(), gw.Pairing);
        var requestId = (await gw.ConnectAsync(key, Read)).RequestId;

        var unknown = await endpoint.ApproveAsync(Guid.NewGuid().ToString("N"), default);
        gw.Time.Advance(TimeSpan.FromMinutes(6));
        var expired = await endpoint.ApproveAsync(requestId, default);

        Assert.Equal(404, unknown.Status);
        Assert.Equal(409, expired.Status);
        Assert.Equal(DetailCodes.RequestExpired,
            JsonDocument.Parse(expired.Body).RootElement.GetProperty("error").GetProperty("details").GetProperty("code").GetString());
    }

    private static Task<HttpReply> Decide(AdminPairingEndpoint endpoint, string how, string requestId)
        => how == "approve" ? endpoint.ApproveAsync(requestId, default) : endpoint.RejectAsync(requestId, default);
}
