using System.Text.Json;
using FunctionsGateway.Client;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;
using Microsoft.AspNetCore.Http.Connections;

namespace FunctionsGateway.IntegrationTests.EndToEnd;

/// <summary>The pairing flow through the local host with the real SignalR client, over real sockets.</summary>
[Collection(LocalHostCollection.Name)]
public sealed class PairingFlowTests(LocalHostFixture host) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly string[] Read = [OperatorScopes.Read];

    /// <summary>An Error/Critical line the local host logs during the test fails it unless the test declares it.</summary>
    private readonly ErrorLogCheck errorLogs = host.CheckErrorLogs();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_new_device_gets_the_structured_not_paired_error_and_then_the_pairing_required_close(bool messagePack)
    {
        using var key = DeviceKey.Generate();
        await using var connection = await GatewayConnection.StartAsync(host.BaseUrl, messagePack);
        var challenge = await connection.ChallengeAsync();
        var parameters = ConnectRequest.Build(key, GatewayHarness.Client(), GatewayRoles.Operator, Read, challenge.Nonce,
            new ConnectAuth { Token = GatewayHarness.SharedToken }, DateTimeOffset.UtcNow);

        var response = await connection.RequestAsync(GatewayMethods.Connect, parameters);

        // First the answer, while the connection is still open...
        Assert.False(connection.Closed.IsCompleted, "the close must not overtake the NOT_PAIRED completion");
        Assert.False(response.GetProperty("ok").GetBoolean());
        var error = response.GetProperty("error");
        Assert.Equal(ErrorCodes.NotPaired, error.GetProperty("code").GetString());
        Assert.Equal("pairing required", error.GetProperty("message").GetString());
        var details = error.GetProperty("details");
        Assert.Equal(DetailCodes.PairingRequired, details.GetProperty("code").GetString());
        Assert.Equal(PairingReasons.NotPaired, details.GetProperty("reason").GetString());
        Assert.Equal(32, details.GetProperty("requestId").GetString()!.Length);

        // ...then the policy close, with its reason.
        var reason = await connection.Closed.WaitAsync(Patience);
        Assert.Equal(GatewayProtocol.PairingRequiredCloseReason, reason);
    }

    [Fact]
    public async Task An_admin_approves_through_the_admin_api_and_the_device_reconnects_with_its_scopes()
    {
        var identity = LocalHostFixture.NewIdentityPath();
        var options = host.Options(identity, [OperatorScopes.Read]);
        var pending = await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(options));
        Assert.Equal(PairingReasons.NotPaired, pending.Reason);

        using var admin = host.Admin();
        var listed = await admin.ListAllAsync();
        Assert.Contains(listed.Pending, p => p.RequestId == pending.RequestId);
        var decision = await admin.ApproveAsync(pending.RequestId);
        Assert.Equal("approved", decision.Decision);

        await using var client = await GatewayClient.ConnectAsync(options);
        Assert.True(client.ReceivedDeviceToken);
        Assert.Equal(Read, client.Scopes);
        Assert.Equal(GatewayProtocol.Version, client.Hello.Protocol);
        Assert.Contains(GatewayMethods.DevicePairApprove, client.Hello.Features.Methods);
        Assert.DoesNotContain(GatewayMethods.Connect, client.Hello.Features.Methods);
        Assert.Contains(GatewayEvents.DevicePairResolved, client.Hello.Features.Events);
        var status = await client.InvokeAsync(GatewayMethods.Status);
        Assert.Equal(client.DeviceId, status.GetProperty("connection").GetProperty("deviceId").GetString());
        var denied = await Assert.ThrowsAsync<GatewayException>(() => client.InvokeAsync(GatewayMethods.AuditList));
        Assert.Equal("missing scope: operator.admin", denied.Message);
        var notForOperators = await Assert.ThrowsAsync<GatewayException>(() => client.InvokeAsync(GatewayMethods.NodeEvent));
        Assert.Equal("unauthorized role: operator", notForOperators.Message);

        // The next connect uses the stored device token, not the shared one.
        await using var again = await GatewayClient.ConnectAsync(With(options, o => o.SharedToken = null));
        Assert.False(again.ReceivedDeviceToken);
        Assert.True((await again.InvokeAsync(GatewayMethods.Health)).GetProperty("status").GetString() == "ok");
    }

    [Fact]
    public async Task A_second_device_is_approved_over_signalr_and_the_admin_sees_both_pairing_events()
    {
        await using var admin = await PairedClientAsync([OperatorScopes.Admin]);
        var requested = WaitForEvent(admin, GatewayEvents.DevicePairRequested);

        var options = host.Options(LocalHostFixture.NewIdentityPath(), [OperatorScopes.Write]);
        var pending = await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(options));
        var requestedEvent = await requested.WaitAsync(Patience);
        Assert.Equal(pending.RequestId, requestedEvent.Payload.GetProperty("requestId").GetString());

        var resolved = WaitForEvent(admin, GatewayEvents.DevicePairResolved, e => e.Payload.GetProperty("requestId").GetString() == pending.RequestId);
        var approval = await admin.InvokeAsync(GatewayMethods.DevicePairApprove, new { requestId = pending.RequestId });
        Assert.Equal("approved", approval.GetProperty("decision").GetString());
        var resolvedEvent = await resolved.WaitAsync(Patience);
        Assert.Equal("approved", resolvedEvent.Payload.GetProperty("decision").GetString());
        Assert.True(resolvedEvent.Seq > requestedEvent.Seq);

        await using var second = await GatewayClient.ConnectAsync(options);
        Assert.Equal([OperatorScopes.Write], second.Scopes);
        Assert.True((await second.InvokeAsync(GatewayMethods.Status)).TryGetProperty("connection", out _));
    }

    [Fact]
    public async Task A_connection_without_pairing_scope_never_sees_pairing_events()
    {
        await using var watcher = await PairedClientAsync([OperatorScopes.Pairing]);
        await using var bystander = await PairedClientAsync([OperatorScopes.Read]);
        var seen = WaitForEvent(watcher, GatewayEvents.DevicePairRequested);
        var bystanderEvents = new List<GatewayEvent>();
        bystander.EventReceived += bystanderEvents.Add;

        var pending = await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(host.Options(LocalHostFixture.NewIdentityPath(), Read)));

        Assert.Equal(pending.RequestId, (await seen.WaitAsync(Patience)).Payload.GetProperty("requestId").GetString());
        // The bystander is on the same service; an event meant for it would have been sent in the same REST call.
        await bystander.InvokeAsync(GatewayMethods.Status);
        Assert.DoesNotContain(bystanderEvents, e => e.Event.StartsWith("device.pair.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Revoking_a_devices_token_closes_its_live_connection()
    {
        await using var admin = await PairedClientAsync([OperatorScopes.Admin]);
        await using var device = await PairedClientAsync(Read);

        await admin.InvokeAsync(GatewayMethods.DeviceTokenRevoke, new { deviceId = device.DeviceId, role = GatewayRoles.Operator });

        Assert.Equal("device token revoked", await device.Closed.WaitAsync(Patience));
    }

    [Theory]
    [InlineData(HttpTransportType.ServerSentEvents)]
    [InlineData(HttpTransportType.LongPolling)]
    public async Task The_fallback_transports_carry_the_same_calls(HttpTransportType transport)
    {
        var identity = LocalHostFixture.NewIdentityPath();
        await using (await PairedClientAsync(Read, identity)) { }
        var options = With(host.Options(identity, Read), o => o.Transports = transport);

        await using var client = await GatewayClient.ConnectAsync(options);

        Assert.Equal(client.ConnectionId, (await client.InvokeAsync(GatewayMethods.Status)).GetProperty("connection").GetProperty("connectionId").GetString());
    }

    [Fact]
    public async Task Calls_before_connect_and_malformed_requests_get_structured_errors_not_failures()
    {
        await using var connection = await GatewayConnection.StartAsync(host.BaseUrl);

        var early = await connection.RequestAsync(GatewayMethods.Status);
        Assert.Equal(DetailCodes.HandshakeRequired, early.GetProperty("error").GetProperty("details").GetProperty("code").GetString());
        var unknownEarly = await connection.RequestAsync("sessions.steal");
        Assert.Equal(DetailCodes.HandshakeRequired, unknownEarly.GetProperty("error").GetProperty("details").GetProperty("code").GetString());
        Assert.True((await connection.RequestAsync(GatewayMethods.Health)).GetProperty("ok").GetBoolean());

        var badParams = await connection.RequestAsync(GatewayMethods.Connect, new { minProtocol = "three" });
        Assert.Equal(DetailCodes.InvalidParams, badParams.GetProperty("error").GetProperty("details").GetProperty("code").GetString());

        var oversized = await connection.RequestAsync(GatewayMethods.Health, new { blob = new string('x', 100_000) });
        Assert.Equal(DetailCodes.PayloadTooLarge, oversized.GetProperty("error").GetProperty("details").GetProperty("code").GetString());
        Assert.True(connection.IsConnected);
    }

    private async Task<GatewayClient> PairedClientAsync(string[] scopes, string? identity = null)
    {
        var options = host.Options(identity ?? LocalHostFixture.NewIdentityPath(), scopes);
        var pending = await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(options));
        using var admin = host.Admin();
        await admin.ApproveAsync(pending.RequestId);
        return await GatewayClient.ConnectAsync(options);
    }

    private static GatewayClientOptions With(GatewayClientOptions options, Action<GatewayClientOptions> change)
    {
        var copy = options.Clone();
        change(copy);
        return copy;
    }

    private static Task<GatewayEvent> WaitForEvent(GatewayClient client, string name, Func<GatewayEvent, bool>? match = null)
    {
        var seen = new TaskCompletionSource<GatewayEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.EventReceived += e =>
        {
            if (e.Event == name && (match is null || match(e)))
            {
                seen.TrySetResult(e);
            }
        };
        return seen.Task;
    }

    public void Dispose() => errorLogs.AssertNoUnexpectedErrors();
}
