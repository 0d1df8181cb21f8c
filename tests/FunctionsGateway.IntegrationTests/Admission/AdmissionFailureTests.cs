using FunctionsGateway.Client;
using FunctionsGateway.Storage;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.Admission;

/// <summary>Every check of docs/protocol.md §3 fails with its own details.code and stores nothing about the device.</summary>
public sealed class AdmissionFailureTests
{
    private static readonly string[] Read = [OperatorScopes.Read];

    public static TheoryData<string, string> Tampering => new()
    {
        { "protocol-range", DetailCodes.ProtocolMismatch },
        { "device-id", DetailCodes.DeviceIdMismatch },
        { "scopes-after-signing", DetailCodes.SignatureInvalid },
        { "role-after-signing", DetailCodes.SignatureInvalid },
        { "signed-too-long-ago", DetailCodes.SignatureExpired },
        { "signed-in-the-future", DetailCodes.SignatureExpired },
        { "missing-nonce", DetailCodes.NonceMismatch },
        { "wrong-nonce", DetailCodes.NonceMismatch },
        { "bad-shared-token", DetailCodes.AuthUnauthorized },
        { "no-auth", DetailCodes.AuthUnauthorized },
        { "unknown-device-token", DetailCodes.AuthDeviceTokenMismatch },
        { "garbage-public-key", DetailCodes.DevicePublicKeyInvalid },
        { "garbage-signature", DetailCodes.SignatureInvalid },
        { "unknown-role", DetailCodes.InvalidRole },
        { "unknown-scope", DetailCodes.InvalidScope },
    };

    [Theory]
    [MemberData(nameof(Tampering))]
    public async Task Each_handshake_failure_has_its_code_and_stores_nothing(string tampering, string expectedCode)
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        using var other = DeviceKey.Generate();
        var connectionId = GatewayHarness.NewConnectionId();
        var nonce = await gw.ChallengeAsync(connectionId);
        var now = gw.Time.GetUtcNow();
        var client = GatewayHarness.Client();
        var shared = new ConnectAuth { Token = GatewayHarness.SharedToken };

        var p = tampering switch
        {
            "protocol-range" => ConnectRequest.Build(key, client, "operator", Read, nonce, shared, now, 4, 5),
            "device-id" => ConnectRequest.Build(key, client, "operator", Read, nonce, shared, now) is var v
                ? v with { Device = v.Device! with { Id = other.DeviceId } } : null,
            "scopes-after-signing" => ConnectRequest.Build(key, client, "operator", Read, nonce, shared, now) with { Scopes = [OperatorScopes.Admin] },
            "role-after-signing" => ConnectRequest.Build(key, client, "operator", [], nonce, shared, now) with { Role = "node" },
            "signed-too-long-ago" => ConnectRequest.Build(key, client, "operator", Read, nonce, shared, now.AddMinutes(-3)),
            "signed-in-the-future" => ConnectRequest.Build(key, client, "operator", Read, nonce, shared, now.AddMinutes(3)),
            "missing-nonce" => ConnectRequest.Build(key, client, "operator", Read, "", shared, now),
            "wrong-nonce" => ConnectRequest.Build(key, client, "operator", Read, "not-the-challenge", shared, now),
            "bad-shared-token" => ConnectRequest.Build(key, client, "operator", Read, nonce, new ConnectAuth { Token = "wrong-token-wrong-token" }, now),
            "no-auth" => ConnectRequest.Build(key, client, "operator", Read, nonce, new ConnectAuth(), now),
            "unknown-device-token" => ConnectRequest.Build(key, client, "operator", Read, nonce, new ConnectAuth { DeviceToken = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }, now),
            "garbage-public-key" => ConnectRequest.Build(key, client, "operator", Read, nonce, shared, now) is var g
                ? g with { Device = g.Device! with { PublicKey = "not*base64" } } : null,
            "garbage-signature" => ConnectRequest.Build(key, client, "operator", Read, nonce, shared, now) is var s
                ? s with { Device = s.Device! with { Signature = Base64Url.Encode(new byte[64]) } } : null,
            "unknown-role" => ConnectRequest.Build(key, client, "superuser", Read, nonce, shared, now),
            "unknown-scope" => ConnectRequest.Build(key, client, "operator", ["operator.everything"], nonce, shared, now),
            _ => throw new ArgumentOutOfRangeException(nameof(tampering)),
        };

        var result = await gw.CallAsync(connectionId, GatewayMethods.Connect, p);

        var attempt = new Attempt(connectionId, result, p!);
        Assert.False(result.Response.Ok);
        Assert.Equal(ErrorCodes.InvalidRequest, result.Response.Error!.Code);
        Assert.Equal(expectedCode, attempt.DetailCode);
        Assert.Null(result.CloseAfterReason);
        await AssertNothingStoredAsync(gw, key.DeviceId);
        await AssertNothingStoredAsync(gw, other.DeviceId);

        // The connection was not admitted.
        var call = await gw.CallAsync(connectionId, GatewayMethods.Status);
        Assert.Equal(DetailCodes.HandshakeRequired, new Attempt(connectionId, call, p!).DetailCode);
    }

    [Fact]
    public async Task A_nonce_is_single_use_even_when_the_connect_that_spent_it_failed()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var connectionId = GatewayHarness.NewConnectionId();
        var nonce = await gw.ChallengeAsync(connectionId);
        var now = gw.Time.GetUtcNow();
        var bad = ConnectRequest.Build(key, GatewayHarness.Client(), "operator", Read, nonce, new ConnectAuth { Token = "wrong-token-wrong-token" }, now);
        Assert.Equal(DetailCodes.AuthUnauthorized, new Attempt(connectionId, await gw.CallAsync(connectionId, GatewayMethods.Connect, bad), bad).DetailCode);

        var replay = ConnectRequest.Build(key, GatewayHarness.Client(), "operator", Read, nonce, new ConnectAuth { Token = GatewayHarness.SharedToken }, now);
        var result = await gw.CallAsync(connectionId, GatewayMethods.Connect, replay);

        Assert.Equal(DetailCodes.NonceMismatch, new Attempt(connectionId, result, replay).DetailCode);
        await AssertNothingStoredAsync(gw, key.DeviceId);
    }

    [Fact]
    public async Task A_nonce_is_bound_to_the_connection_it_was_issued_on()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var issuedOn = GatewayHarness.NewConnectionId();
        var usedOn = GatewayHarness.NewConnectionId();
        var nonce = await gw.ChallengeAsync(issuedOn);
        await gw.ChallengeAsync(usedOn);

        var p = ConnectRequest.Build(key, GatewayHarness.Client(), "operator", Read, nonce, new ConnectAuth { Token = GatewayHarness.SharedToken }, gw.Time.GetUtcNow());
        var result = await gw.CallAsync(usedOn, GatewayMethods.Connect, p);

        Assert.Equal(DetailCodes.NonceMismatch, new Attempt(usedOn, result, p).DetailCode);
    }

    [Fact]
    public async Task An_expired_challenge_is_refused()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var connectionId = GatewayHarness.NewConnectionId();
        var nonce = await gw.ChallengeAsync(connectionId);
        gw.Time.Advance(TimeSpan.FromMinutes(1.5));

        var p = ConnectRequest.Build(key, GatewayHarness.Client(), "operator", Read, nonce, new ConnectAuth { Token = GatewayHarness.SharedToken }, gw.Time.GetUtcNow());
        var result = await gw.CallAsync(connectionId, GatewayMethods.Connect, p);

        Assert.Equal(DetailCodes.NonceMismatch, new Attempt(connectionId, result, p).DetailCode);
        Assert.Contains("expired", result.Response.Error!.Message, StringComparison.Ordinal);
        await AssertNothingStoredAsync(gw, key.DeviceId);
    }

    [Fact]
    public async Task A_revoked_device_token_no_longer_authenticates()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var paired = await gw.PairAsync(key, Read);
        var token = paired.DeviceToken!;
        Assert.True((await gw.ConnectAsync(key, Read, auth: new ConnectAuth { DeviceToken = token })).Response.Ok);
        var before = (await gw.DeviceRowsAsync(key.DeviceId)).Where(r => !r.RowKey.StartsWith(DeviceRows.ConnectionPrefix, StringComparison.Ordinal)).Count();

        var revoked = await gw.Tokens.RevokeAsync(key.DeviceId, GatewayRoles.Operator, Core.Pairing.PairingActor.AdminApi, default);
        Assert.True(revoked.Ok);
        var attempt = await gw.ConnectAsync(key, Read, auth: new ConnectAuth { DeviceToken = token });

        Assert.Equal(DetailCodes.AuthDeviceTokenMismatch, attempt.DetailCode);
        Assert.Empty(await gw.Requests.ListAsync(key.DeviceId, default));
        Assert.Equal(before, (await gw.DeviceRowsAsync(key.DeviceId)).Where(r => !r.RowKey.StartsWith(DeviceRows.ConnectionPrefix, StringComparison.Ordinal)).Count());
    }

    [Fact]
    public async Task Only_health_and_the_handshake_are_accepted_before_connect_and_a_second_connect_is_refused()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var fresh = GatewayHarness.NewConnectionId();

        Assert.True((await gw.CallAsync(fresh, GatewayMethods.Health)).Response.Ok);
        foreach (var method in new[] { GatewayMethods.Status, GatewayMethods.DevicePairList, GatewayMethods.NodeEvent, "no.such.method" })
        {
            var early = await gw.CallAsync(fresh, method);
            Assert.Equal(ErrorCodes.InvalidRequest, early.Response.Error!.Code);
            Assert.Equal(DetailCodes.HandshakeRequired, GatewayHarness.Json(early.Response.Error).GetProperty("details").GetProperty("code").GetString());
        }

        var admitted = await gw.PairAsync(key, Read);
        // connect.challenge is stateless and answers even now; the connect with its nonce is refused.
        var again = await gw.ConnectAsync(key, Read, connectionId: admitted.ConnectionId);
        Assert.Equal(DetailCodes.AlreadyConnected, again.DetailCode);
        var second = await gw.CallAsync(admitted.ConnectionId, GatewayMethods.Connect, admitted.Params);
        Assert.Equal(DetailCodes.AlreadyConnected, GatewayHarness.Json(second.Response.Error).GetProperty("details").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Malformed_connect_params_are_a_structured_error()
    {
        await using var gw = await GatewayHarness.StartAsync();
        var connectionId = GatewayHarness.NewConnectionId();
        await gw.ChallengeAsync(connectionId);

        foreach (var bad in new object?[] { null, "connect me", 42, new { minProtocol = "three", maxProtocol = 3 }, new { minProtocol = 3, maxProtocol = 3 } })
        {
            var result = await gw.CallAsync(connectionId, GatewayMethods.Connect, bad);
            Assert.False(result.Response.Ok);
            Assert.Equal(DetailCodes.InvalidParams, GatewayHarness.Json(result.Response.Error).GetProperty("details").GetProperty("code").GetString());
        }
    }

    private static async Task AssertNothingStoredAsync(GatewayHarness gw, string deviceId)
    {
        Assert.Empty(await gw.DeviceRowsAsync(deviceId));
        Assert.Empty(await gw.Requests.ListAsync(deviceId, default));
        Assert.Empty(await gw.AuditForAsync(deviceId));
    }
}
