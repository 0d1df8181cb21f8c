using Azure.Data.Tables;
using FunctionsGateway.Client;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.Admission;

/// <summary>
/// The stateless challenge (docs/decisions/0011-stateless-challenge.md): a nonce is good once, on the connection it was
/// issued for, until it expires; anything else fails with the codes a stored nonce failed with.
/// </summary>
public sealed class StatelessChallengeTests
{
    private static readonly string[] Read = [OperatorScopes.Read];

    /// <summary>Byte offsets in the decoded nonce: expiry (8), random (16), MAC (32).</summary>
    public static TheoryData<string, int> Tampering => new()
    {
        { "expiry", 7 },
        { "random", 8 + 5 },
        { "mac", 8 + 16 + 31 },
    };

    [Fact]
    public async Task A_challenge_costs_no_storage_and_its_nonce_admits_once()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var paired = await gw.PairAsync(key, Read);
        var connectionId = GatewayHarness.NewConnectionId();

        gw.StorageRequests.Clear();
        var nonce = await gw.ChallengeAsync(connectionId);
        Assert.Empty(gw.StorageRequests.Requests);

        var p = Signed(gw, key, nonce, new ConnectAuth { DeviceToken = paired.DeviceToken });
        Assert.True((await gw.CallAsync(connectionId, GatewayMethods.Connect, p)).Response.Ok);

        // The same nonce again on the admitted connection: refused as any second connect is.
        var replay = await gw.CallAsync(connectionId, GatewayMethods.Connect, p);
        Assert.Equal(DetailCodes.AlreadyConnected, new Attempt(connectionId, replay, p).DetailCode);
    }

    [Fact]
    public async Task A_nonce_spent_by_a_failed_connect_fails_again_and_counts_no_second_attempt()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var connectionId = GatewayHarness.NewConnectionId();
        var nonce = await gw.ChallengeAsync(connectionId);
        var bad = Signed(gw, key, nonce, new ConnectAuth { Token = "wrong-token-wrong-token" });
        Assert.Equal(DetailCodes.AuthUnauthorized, new Attempt(connectionId, await gw.CallAsync(connectionId, GatewayMethods.Connect, bad), bad).DetailCode);

        var good = Signed(gw, key, nonce, new ConnectAuth { Token = GatewayHarness.SharedToken });
        var replay = await gw.CallAsync(connectionId, GatewayMethods.Connect, good);

        Assert.Equal(DetailCodes.NonceMismatch, new Attempt(connectionId, replay, good).DetailCode);
        Assert.Equal("device nonce mismatch: request connect.challenge on this connection first", replay.Response.Error!.Message);
        var row = await gw.Tables.Connections.GetEntityAsync<TableEntity>(connectionId, "");
        Assert.Equal(1, row.Value.GetInt32("AdmissionAttempts"));
        Assert.Empty(await gw.DeviceRowsAsync(key.DeviceId));
    }

    [Fact]
    public async Task A_nonce_from_another_connection_fails_and_stores_nothing()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var usedOn = GatewayHarness.NewConnectionId();
        var nonce = await gw.ChallengeAsync(GatewayHarness.NewConnectionId());

        var p = Signed(gw, key, nonce, new ConnectAuth { Token = GatewayHarness.SharedToken });
        var result = await gw.CallAsync(usedOn, GatewayMethods.Connect, p);

        Assert.Equal(DetailCodes.NonceMismatch, new Attempt(usedOn, result, p).DetailCode);
        Assert.False((await gw.Tables.Connections.GetEntityIfExistsAsync<TableEntity>(usedOn, "")).HasValue);
        Assert.Empty(await gw.DeviceRowsAsync(key.DeviceId));
    }

    [Fact]
    public async Task An_expired_nonce_fails_as_expired_and_counts_as_a_failed_attempt()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var connectionId = GatewayHarness.NewConnectionId();
        var nonce = await gw.ChallengeAsync(connectionId);
        gw.Time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromMilliseconds(1));

        var p = Signed(gw, key, nonce, new ConnectAuth { Token = GatewayHarness.SharedToken });
        var result = await gw.CallAsync(connectionId, GatewayMethods.Connect, p);

        Assert.Equal(DetailCodes.NonceMismatch, new Attempt(connectionId, result, p).DetailCode);
        Assert.Equal("device nonce expired: request a new connect.challenge", result.Response.Error!.Message);
        var row = await gw.Tables.Connections.GetEntityAsync<TableEntity>(connectionId, "");
        Assert.Equal(1, row.Value.GetInt32("AdmissionAttempts"));
        Assert.Empty(await gw.DeviceRowsAsync(key.DeviceId));
    }

    [Theory]
    [MemberData(nameof(Tampering))]
    public async Task A_nonce_with_one_bit_flipped_fails_as_a_mismatch(string part, int offset)
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var paired = await gw.PairAsync(key, Read);
        var connectionId = GatewayHarness.NewConnectionId();
        var nonce = await gw.ChallengeAsync(connectionId);
        Assert.True(Base64Url.TryDecode(nonce, out var bytes));
        Assert.Equal(56, bytes.Length);
        bytes[offset] ^= 0x01;
        var tampered = Base64Url.Encode(bytes);

        // Signed over the tampered nonce, so only the nonce itself can be what fails.
        var p = Signed(gw, key, tampered, new ConnectAuth { DeviceToken = paired.DeviceToken });
        var result = await gw.CallAsync(connectionId, GatewayMethods.Connect, p);

        Assert.True(DetailCodes.NonceMismatch == new Attempt(connectionId, result, p).DetailCode, $"a flipped bit in the {part} was accepted");
        Assert.False((await gw.Tables.Connections.GetEntityIfExistsAsync<TableEntity>(connectionId, "")).HasValue);

        // The untouched nonce still admits: the failure spent nothing.
        var good = Signed(gw, key, nonce, new ConnectAuth { DeviceToken = paired.DeviceToken });
        Assert.True((await gw.CallAsync(connectionId, GatewayMethods.Connect, good)).Response.Ok);
    }

    [Fact]
    public async Task Two_connects_racing_with_one_nonce_admit_the_connection_once()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var paired = await gw.PairAsync(key, Read);
        var connectionId = GatewayHarness.NewConnectionId();
        var p = Signed(gw, key, await gw.ChallengeAsync(connectionId), new ConnectAuth { DeviceToken = paired.DeviceToken });

        var results = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() => gw.CallAsync(connectionId, GatewayMethods.Connect, p))));

        Assert.Single(results, r => r.Response.Ok);
        var loser = Assert.Single(results, r => !r.Response.Ok);
        Assert.Contains(new Attempt(connectionId, loser, p).DetailCode, new[] { DetailCodes.AlreadyConnected, DetailCodes.NonceMismatch });
        Assert.Single(gw.Notifier.Admitted, a => a.ConnectionId == connectionId);
    }

    private static ConnectParams Signed(GatewayHarness gw, DeviceKey key, string nonce, ConnectAuth auth)
        => ConnectRequest.Build(key, GatewayHarness.Client(), GatewayRoles.Operator, Read, nonce, auth, gw.Time.GetUtcNow());
}
