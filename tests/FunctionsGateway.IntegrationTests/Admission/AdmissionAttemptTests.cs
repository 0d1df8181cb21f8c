using FunctionsGateway.Client;
using FunctionsGateway.Core.Admission;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.IntegrationTests.Pairing;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.Admission;

/// <summary>
/// Failed admissions are limited per connection (docs/protocol.md §4.7): each connect spends a challenge, and after
/// <c>Gateway__Pairing__MaxAdmissionFailures</c> failed ones the connection gets no further attempt and is closed.
/// </summary>
public sealed class AdmissionAttemptTests
{
    private static readonly string[] Read = [OperatorScopes.Read];

    private static ConnectParams BadSignature(ConnectParams p) => p with { Scopes = [OperatorScopes.Admin] };

    /// <summary>Signed with a wrong shared token: the signature holds, the credential does not.</summary>
    private static readonly ConnectAuth WrongToken = new() { Token = "not-the-shared-token-0000" };

    [Fact]
    public async Task The_third_bad_signature_on_one_connection_is_answered_exhausted_and_the_connection_closes()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var connectionId = GatewayHarness.NewConnectionId();

        var first = await gw.ConnectAsync(key, Read, tamper: BadSignature, connectionId: connectionId);
        var second = await gw.ConnectAsync(key, Read, tamper: BadSignature, connectionId: connectionId);
        var third = await gw.ConnectAsync(key, Read, tamper: BadSignature, connectionId: connectionId);

        Assert.Equal(DetailCodes.SignatureInvalid, first.DetailCode);
        Assert.Null(first.Result.CloseAfterReason);
        Assert.Equal(DetailCodes.SignatureInvalid, second.DetailCode);
        Assert.Equal(DetailCodes.AdmissionAttemptsExhausted, third.DetailCode);
        Assert.Equal(DetailCodes.SignatureInvalid, third.Result.Details().GetProperty("failure").GetString());
        Assert.Equal(3, third.Result.Details().GetProperty("max").GetInt32());
        Assert.Equal(AdmissionService.AttemptsExhaustedCloseReason, third.Result.CloseAfterReason);

        // No further attempt: a fresh challenge (stateless, so handed out) gets a good connect nowhere, and nothing
        // about the device was stored.
        var fourth = await gw.ConnectAsync(key, Read, connectionId: connectionId);
        Assert.Equal(DetailCodes.ConnectionClosed, fourth.DetailCode);
        Assert.Empty(await gw.DeviceRowsAsync(key.DeviceId));
    }

    [Fact]
    public async Task A_good_connect_after_failures_below_the_limit_is_still_admitted()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        await gw.PairAsync(key, Read);
        var connectionId = GatewayHarness.NewConnectionId();

        var bad = await gw.ConnectAsync(key, Read, auth: WrongToken, connectionId: connectionId);
        var badSignature = await gw.ConnectAsync(key, Read, tamper: BadSignature, connectionId: connectionId);
        var good = await gw.ConnectAsync(key, Read, connectionId: connectionId);

        Assert.Equal(DetailCodes.AuthUnauthorized, bad.DetailCode);
        Assert.Equal(DetailCodes.SignatureInvalid, badSignature.DetailCode);
        Assert.True(good.Response.Ok, GatewayHarness.Describe(good.Response));
        Assert.True((await gw.CallAsync(connectionId, GatewayMethods.Status)).Response.Ok);
    }

    [Fact]
    public async Task The_limit_is_a_setting_and_one_means_the_first_failure_closes()
    {
        await using var gw = await GatewayHarness.StartAsync(settings: new Dictionary<string, string?> { ["Gateway:Pairing:MaxAdmissionFailures"] = "1" });
        using var key = DeviceKey.Generate();

        var attempt = await gw.ConnectAsync(key, Read, auth: WrongToken);

        Assert.Equal(DetailCodes.AdmissionAttemptsExhausted, attempt.DetailCode);
        Assert.Equal(DetailCodes.AuthUnauthorized, attempt.Result.Details().GetProperty("failure").GetString());
        Assert.Equal(AdmissionService.AttemptsExhaustedCloseReason, attempt.Result.CloseAfterReason);
    }
}
