using FunctionsGateway.Client;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.Pairing;

/// <summary>Device tokens exist in plaintext only in the hello-ok that delivers them: never in storage, never in logs.</summary>
public sealed class SecretHandlingTests
{
    [Fact]
    public async Task Device_tokens_are_stored_only_as_hashes_and_no_secret_reaches_the_logs()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var token = (await gw.PairAsync(key, [OperatorScopes.Read])).DeviceToken!;
        var rotated = await gw.PairAsync(DeviceKey.Generate(), [OperatorScopes.Pairing]);
        var rotation = await gw.Tokens.RotateAsync(key.DeviceId, GatewayRoles.Operator, PairingActor.Device(key.DeviceId, ScopeSet.Read), default);
        var newToken = GatewayHarness.Json(rotation.Payload).GetProperty("deviceToken").GetString()!;
        await gw.ConnectAsync(key, [OperatorScopes.Read], auth: new ConnectAuth { DeviceToken = "wrong-" + newToken });

        var stored = string.Join('\n', (await gw.DeviceRowsAsync(key.DeviceId)).SelectMany(r => r.Select(p => $"{p.Key}={p.Value}")));
        Assert.DoesNotContain(token, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(newToken, stored, StringComparison.Ordinal);
        Assert.Contains(DeviceTokens.Hash(newToken), stored, StringComparison.Ordinal);

        var logs = string.Join('\n', gw.Logs.Lines);
        Assert.NotEmpty(gw.Logs.Lines);
        foreach (var secret in new[] { token, newToken, rotated.DeviceToken!, GatewayHarness.SharedToken })
        {
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
        }
    }
}
