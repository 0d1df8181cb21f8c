using System.Text.Json;
using FunctionsGateway.Client;
using FunctionsGateway.Core.Events;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.Pairing;

/// <summary><c>device.changed</c> (protocol §7): pairing watchers hear of every approval, rotation, revocation and removal.</summary>
public sealed class DeviceChangedEventTests
{
    private static readonly string[] Write = [OperatorScopes.Write];

    [Fact]
    public async Task An_approval_announces_the_device_as_paired_with_its_role_and_new_baseline_once()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var requestId = (await gw.ConnectAsync(key, Write)).RequestId;

        Assert.True((await gw.Pairing.ApproveAsync(requestId, PairingActor.AdminApi, default)).Ok);

        var changed = Assert.Single(Changes(gw, key.DeviceId));
        Assert.Equal(EventAudience.PairingWatchers, changed.Audience);
        var payload = (DeviceChangedEvent)changed.Payload;
        Assert.Equal((DeviceChanges.Paired, GatewayRoles.Operator), (payload.Change, payload.Role));
        Assert.Equal([GatewayRoles.Operator], payload.Roles!);
        Assert.Equal(Write, payload.Scopes);
        Assert.Equal(gw.Time.GetUtcNow().ToUnixTimeMilliseconds(), payload.Ts);
    }

    [Fact]
    public async Task A_rejection_changes_no_device_and_announces_none()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var requestId = (await gw.ConnectAsync(key, Write)).RequestId;

        Assert.True((await gw.Pairing.RejectAsync(requestId, PairingActor.AdminApi, default)).Ok);

        Assert.Contains(gw.Notifier.Events, e => e.Name == GatewayEvents.DevicePairResolved);
        Assert.Empty(Changes(gw, key.DeviceId));
    }

    [Fact]
    public async Task Rotation_revocation_and_removal_are_each_announced_after_their_commit_and_no_event_carries_a_token()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();
        var paired = await gw.PairAsync(key, Write);
        var self = PairingActor.Device(key.DeviceId, ScopeSet.Write);

        var rotated = await gw.Tokens.RotateAsync(key.DeviceId, GatewayRoles.Operator, self, default);
        var plain = GatewayHarness.Json(rotated.Payload).GetProperty("deviceToken").GetString()!;
        var hash = (await gw.Devices.GetTokenAsync(key.DeviceId, GatewayRoles.Operator, default))!.TokenHash!;
        Assert.True((await gw.Tokens.RevokeAsync(key.DeviceId, GatewayRoles.Operator, PairingActor.AdminApi, default)).Ok);
        Assert.True((await gw.Removal.RemoveAsync(key.DeviceId, PairingActor.AdminApi, default)).Ok);

        var changes = Changes(gw, key.DeviceId).Select(e => (DeviceChangedEvent)e.Payload).ToList();
        Assert.Equal([DeviceChanges.Paired, DeviceChanges.TokenRotated, DeviceChanges.TokenRevoked, DeviceChanges.Removed], changes.Select(c => c.Change));
        Assert.Equal(GatewayRoles.Operator, changes[1].Role);
        Assert.Equal(Write, changes[1].Scopes);
        Assert.Equal((GatewayRoles.Operator, 0), (changes[2].Role, changes[2].Scopes.Length));
        Assert.Equal((null, 0), (changes[3].Role, changes[3].Scopes.Length));

        // Not the plain tokens the device was given, not their stored hash, not even a field named like one.
        foreach (var json in gw.Notifier.Events.Select(e => JsonSerializer.Serialize(e.Payload, e.Payload.GetType(), GatewayJson.Options)))
        {
            Assert.DoesNotContain(plain, json, StringComparison.Ordinal);
            Assert.DoesNotContain(paired.DeviceToken!, json, StringComparison.Ordinal);
            Assert.DoesNotContain(hash, json, StringComparison.Ordinal);
            Assert.DoesNotContain("token\":", json, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task A_removal_or_revocation_of_an_unknown_device_announces_nothing()
    {
        await using var gw = await GatewayHarness.StartAsync();
        using var key = DeviceKey.Generate();

        Assert.False((await gw.Removal.RemoveAsync(key.DeviceId, PairingActor.AdminApi, default)).Ok);
        Assert.False((await gw.Tokens.RevokeAsync(key.DeviceId, GatewayRoles.Operator, PairingActor.AdminApi, default)).Ok);

        Assert.DoesNotContain(gw.Notifier.Events, e => e.Name == GatewayEvents.DeviceChanged);
    }

    private static List<PublishedEvent> Changes(GatewayHarness gw, string deviceId)
        => [.. gw.Notifier.Events.Where(e => e.Name == GatewayEvents.DeviceChanged && ((DeviceChangedEvent)e.Payload).DeviceId == deviceId)];
}
