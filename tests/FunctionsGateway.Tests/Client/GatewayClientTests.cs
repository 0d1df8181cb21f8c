using System.Text.Json;
using FunctionsGateway.Client;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Tests.Client;

/// <summary>The client against <see cref="FakeGateway"/>: real SignalR transports and hub protocols, scripted answers.</summary>
public sealed class GatewayClientTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly TempDirectory temp = new();
    private FakeGateway gateway = null!;

    private string IdentityPath => temp.File("identity.json");

    public async Task InitializeAsync() => gateway = await FakeGateway.StartAsync();

    public async Task DisposeAsync()
    {
        await gateway.DisposeAsync();
        temp.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_new_device_gets_the_structured_pairing_error_and_then_the_pairing_required_close(bool messagePack)
    {
        using var identity = DeviceIdentityStore.LoadOrCreate(IdentityPath);
        await using var connection = await GatewayConnection.StartAsync(gateway.Url, messagePack);

        var challenge = await connection.ChallengeAsync();
        var options = gateway.Options(IdentityPath, messagePack, OperatorScopes.Read);
        var parameters = ConnectRequest.Build(identity.Key, options.ToClientInfo(), options.Role, [.. options.Scopes], challenge.Nonce,
            new ConnectAuth { Token = FakeGateway.SharedToken }, DateTimeOffset.UtcNow);
        var response = await connection.RequestAsync(GatewayMethods.Connect, parameters);

        Assert.False(response.GetProperty("ok").GetBoolean());
        Assert.Equal(ErrorCodes.NotPaired, response.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("pairing required", await connection.Closed.WaitAsync(Patience));
        Assert.False(connection.IsConnected);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ConnectAsync_throws_PairingRequired_with_the_request_and_the_same_ask_keeps_the_same_request(bool messagePack)
    {
        var options = gateway.Options(IdentityPath, messagePack, OperatorScopes.Read, OperatorScopes.Write);

        var first = await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(options));
        var second = await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(options));

        Assert.Matches("^[0-9a-f]{32}$", first.RequestId);
        Assert.Equal(first.RequestId, second.RequestId);
        Assert.Equal(PairingReasons.NotPaired, first.Reason);
        Assert.Equal("operator", first.RequestedRole);
        Assert.Equal([OperatorScopes.Read, OperatorScopes.Write], first.RequestedScopes);
        Assert.Empty(first.ApprovedScopes);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task After_approval_the_minted_device_token_is_saved_and_used_for_the_next_connect(bool messagePack)
    {
        var options = gateway.Options(IdentityPath, messagePack, OperatorScopes.Read);
        await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(options));
        var deviceId = DeviceIdentityStore.Load(IdentityPath).DeviceId;
        gateway.State.Approve(deviceId, OperatorScopes.Read);

        await using (var client = await GatewayClient.ConnectAsync(options))
        {
            Assert.True(client.ReceivedDeviceToken);
            Assert.Null(client.Hello.Auth.DeviceToken);
            Assert.Equal("hello-ok", client.Hello.Type);
            Assert.Equal(deviceId, client.DeviceId);
            Assert.Equal("operator", client.Role);
            Assert.Equal([OperatorScopes.Read], client.Scopes);
            Assert.False(string.IsNullOrEmpty(client.ConnectionId));
        }

        using (var stored = DeviceIdentityStore.Load(IdentityPath))
        {
            Assert.StartsWith("device-token-", stored.GetDeviceToken("operator"), StringComparison.Ordinal);
        }

        options.SharedToken = null;
        await using (var again = await GatewayClient.ConnectAsync(options))
        {
            Assert.False(again.ReceivedDeviceToken);
        }

        var lastAuth = gateway.State.ConnectAuths.Last();
        Assert.True(lastAuth.TryGetProperty("deviceToken", out _));
        Assert.False(lastAuth.TryGetProperty("token", out _));
    }

    [Fact]
    public async Task ConnectWhenApproved_reconnects_until_approved_and_reports_one_request()
    {
        gateway.State.ApproveOnAttempt = 3;
        var reported = new List<string>();

        await using var client = await GatewayClient.ConnectWhenApprovedAsync(
            gateway.Options(IdentityPath, messagePack: false, OperatorScopes.Admin), TimeSpan.Zero, Patience, new ProgressSink<PairingRequiredException>(e => reported.Add(e.RequestId)));

        Assert.Equal(2, reported.Count);
        Assert.Single(reported.Distinct());
        Assert.Equal(3, gateway.State.PairingAttempts);
        Assert.True(client.ReceivedDeviceToken);
    }

    [Fact]
    public async Task A_rejected_device_token_is_forgotten_and_the_shared_token_is_tried_once()
    {
        using (var identity = DeviceIdentityStore.LoadOrCreate(IdentityPath))
        {
            identity.SaveDeviceToken("operator", "revoked-token");
            gateway.State.Approve(identity.DeviceId, OperatorScopes.Read);
        }

        await using var client = await GatewayClient.ConnectAsync(gateway.Options(IdentityPath, messagePack: false, OperatorScopes.Read));

        Assert.True(client.ReceivedDeviceToken);
        var auths = gateway.State.ConnectAuths.ToList();
        Assert.Equal(2, auths.Count);
        Assert.Equal("revoked-token", auths[0].GetProperty("deviceToken").GetString());
        Assert.Equal(FakeGateway.SharedToken, auths[1].GetProperty("token").GetString());
        using var stored = DeviceIdentityStore.Load(IdentityPath);
        Assert.NotEqual("revoked-token", stored.GetDeviceToken("operator"));
    }

    [Fact]
    public async Task Without_a_shared_token_a_rejected_device_token_is_reported_as_it_came()
    {
        using (var identity = DeviceIdentityStore.LoadOrCreate(IdentityPath))
        {
            identity.SaveDeviceToken("operator", "revoked-token");
        }

        var options = gateway.Options(IdentityPath, messagePack: false, OperatorScopes.Read);
        options.SharedToken = null;

        var error = await Assert.ThrowsAsync<GatewayException>(() => GatewayClient.ConnectAsync(options));
        Assert.Equal(DetailCodes.AuthDeviceTokenMismatch, error.DetailCode);
        Assert.Single(gateway.State.ConnectAuths);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Calls_return_payloads_intact_and_errors_keep_their_structure(bool messagePack)
    {
        await using var client = await ApprovedClientAsync(messagePack);
        var sent = JsonAssert.Parse("""{"text": "héllo", "n": 9007199254740993, "ratio": 0.5, "list": [1, [true, null], {"k": "v"}], "empty": {}}""");

        var echoed = await client.InvokeAsync("test.echo", sent);
        var typed = await client.InvokeAsync<EchoShape>("test.echo", new { text = "t", n = 3 });
        var error = await Assert.ThrowsAsync<GatewayException>(() => client.InvokeAsync("no.such.method"));

        JsonAssert.Equal(sent, echoed);
        Assert.Equal(new EchoShape("t", 3), typed);
        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Equal(DetailCodes.UnknownMethod, error.DetailCode);
        Assert.Equal("unknown method: no.such.method", error.Message);
        var request = gateway.State.Requests.Last(r => r.GetProperty("method").GetString() == "no.such.method");
        Assert.False(request.TryGetProperty("params", out _));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Events_reach_both_the_stream_and_the_handler_with_their_payload(bool messagePack)
    {
        await using var client = await ApprovedClientAsync(messagePack);
        var handled = new TaskCompletionSource<GatewayEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.EventReceived += e => handled.TrySetResult(e);
        var payload = JsonAssert.Parse("""{"requestId": "r", "nested": {"list": [1, 2.5, "x"]}}""");

        await client.InvokeAsync("test.event", payload);
        await using var events = client.Events().GetAsyncEnumerator();
        Assert.True(await events.MoveNextAsync().AsTask().WaitAsync(Patience));

        Assert.Equal("test.event", events.Current.Event);
        Assert.Equal(7, events.Current.Seq);
        JsonAssert.Equal(payload, events.Current.Payload);
        Assert.Equal(events.Current, await handled.Task.WaitAsync(Patience));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_server_close_completes_Closed_with_its_reason_and_later_calls_fail_as_connection_closed(bool messagePack)
    {
        await using var client = await ApprovedClientAsync(messagePack);

        await client.InvokeAsync("test.revoke");
        Assert.Equal("device token revoked", await client.Closed.WaitAsync(Patience));

        var error = await Assert.ThrowsAsync<GatewayException>(() => client.InvokeAsync("test.echo"));
        Assert.Equal(DetailCodes.ConnectionClosed, error.DetailCode);
    }

    [Fact]
    public async Task Disposing_completes_Closed_without_a_reason()
    {
        var client = await ApprovedClientAsync(messagePack: false);
        await client.DisposeAsync();

        Assert.Null(await client.Closed.WaitAsync(Patience));
    }

    [Fact]
    public async Task A_gateway_that_is_not_there_fails_with_connect_failed()
    {
        var url = gateway.Url;
        await gateway.DisposeAsync();
        gateway = await FakeGateway.StartAsync();

        var options = gateway.Options(IdentityPath, messagePack: false);
        options.GatewayUrl = url;
        var error = await Assert.ThrowsAsync<GatewayException>(() => GatewayClient.ConnectAsync(options));

        Assert.Equal(ClientDetailCodes.ConnectFailed, error.DetailCode);
        Assert.DoesNotContain(FakeGateway.SharedToken, error.ToString(), StringComparison.Ordinal);
    }

    private async Task<GatewayClient> ApprovedClientAsync(bool messagePack)
    {
        var options = gateway.Options(IdentityPath, messagePack, OperatorScopes.Read);
        using (var identity = DeviceIdentityStore.LoadOrCreate(IdentityPath))
        {
            gateway.State.Approve(identity.DeviceId, OperatorScopes.Read);
        }

        return await GatewayClient.ConnectAsync(options);
    }

    private sealed record EchoShape(string Text, int N);
}
