using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.LocalHost.ServiceEmulation;
using FunctionsGateway.Protocol;
using FunctionsGateway.SignalR.Serverless;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace FunctionsGateway.IntegrationTests.EndToEnd;

/// <summary>
/// The local host's SignalR endpoint stands in for Azure SignalR Service in every end-to-end test, so it answers as
/// the service does: a REST close, an oversized message, and frames the service cannot read. Raw WebSockets send
/// what no real client would; real clients check the rest.
/// </summary>
[Collection(LocalHostCollection.Name)]
public sealed class ServiceConformanceTests(LocalHostFixture host) : IDisposable
{
    private static readonly HttpClient Http = new();
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>An Error/Critical line the local host logs during the test fails it unless the test declares it.</summary>
    private readonly ErrorLogCheck errorLogs = host.CheckErrorLogs();

    [Fact]
    public async Task A_text_message_that_is_not_utf8_ends_only_that_connection_without_an_error()
    {
        await using var socket = await RawHubSocket.ConnectAsync(host.BaseUrl, messagePack: false);

        await socket.SendAsync(new byte[] { 0xC3, 0x28, 0x1E }, WebSocketMessageType.Text);

        Assert.True(await socket.ClosedByServiceAsync(Patience), "the service kept a connection whose transport broke");
        await using var next = await RawHubSocket.ConnectAsync(host.BaseUrl, messagePack: false);
        Assert.Equal(WebSocketState.Open, next.State);
    }

    [Theory]
    [InlineData("{\"protocol\":\"json\",\"version\":1 t}\u001e")]
    [InlineData("{\"protocol\":\u001e")]
    [InlineData("[1,2]\u001e")]
    public async Task A_handshake_that_is_not_valid_json_is_refused_with_its_reason_and_the_connection_ends(string handshake)
    {
        await using var socket = await RawHubSocket.OpenAsync(host.BaseUrl, messagePack: false);

        await socket.SendTextAsync(handshake);

        var answer = await socket.ReceiveFrameAsync(new CancellationTokenSource(Patience).Token);
        Assert.NotNull(answer);
        var text = System.Text.Encoding.UTF8.GetString(answer);
        Assert.StartsWith("{\"error\":\"", text, StringComparison.Ordinal);
        Assert.True(await socket.ClosedByServiceAsync(Patience), "the service did not end the connection after refusing its handshake");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_rest_close_carries_its_reason_with_allow_reconnect_and_leaves_ending_the_transport_to_the_client(bool messagePack)
    {
        await using var socket = await RawHubSocket.ConnectAsync(host.BaseUrl, messagePack);

        Assert.Equal(HttpStatusCode.OK, await RestAsync(HttpMethod.Delete, socket.ConnectionId, "&reason=" + Uri.EscapeDataString(CloseReasons.PairingRequired)));

        var close = Assert.IsType<CloseMessage>(await socket.ReceiveMessageAsync(Patience));
        Assert.Equal(CloseReasons.PairingRequired, close.Error);
        Assert.True(close.AllowReconnect, "the service's REST close lets a client with automatic reconnect come back");

        // The service has said its piece and waits for the client to hang up: the connection is still there...
        Assert.Equal(HttpStatusCode.OK, await RestAsync(HttpMethod.Head, socket.ConnectionId));
        Assert.Equal(WebSocketState.Open, socket.State);

        // ...until the client ends the transport, as SignalR clients do on a Close message.
        await socket.CloseAsync();
        await Eventually.HoldsAsync(async () => await RestAsync(HttpMethod.Head, socket.ConnectionId) == HttpStatusCode.NotFound,
            Patience, "the connection outlived its client");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_connections_pipelined_calls_are_forwarded_one_at_a_time_and_answered_in_order(bool messagePack)
    {
        await using var socket = await RawHubSocket.ConnectAsync(host.BaseUrl, messagePack);

        // A challenge does storage work and a health check none: forwarded at once, a health check would overtake.
        await socket.SendMessagesAsync([.. Enumerable.Range(0, 6).Select(i => new InvocationMessage($"{i}", GatewayProtocol.RequestTarget,
            [new Dictionary<string, object> { ["method"] = i % 2 == 0 ? GatewayMethods.ConnectChallenge : GatewayMethods.Health }]))]);

        var order = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            order.Add(Assert.IsType<CompletionMessage>(await socket.ReceiveMessageAsync(Patience)).InvocationId!);
        }

        Assert.Equal(["0", "1", "2", "3", "4", "5"], order);
    }

    [Fact]
    public async Task A_client_that_ignores_the_close_message_is_disconnected_by_the_service_after_a_grace_period()
    {
        await using var socket = await RawHubSocket.ConnectAsync(host.BaseUrl, messagePack: false);

        await RestAsync(HttpMethod.Delete, socket.ConnectionId, "&reason=bye");

        Assert.IsType<CloseMessage>(await socket.ReceiveMessageAsync(Patience));
        Assert.True(await socket.ClosedByServiceAsync(LocalConnection.CloseGrace + Patience), "a client that never hangs up holds the connection forever");
    }

    [Theory]
    [InlineData("hello")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"target\":\"req\",\"arguments\":[]}")]
    [InlineData("{\"type\":\"1\"}")]
    public async Task A_text_frame_that_is_not_a_json_hub_message_is_refused_with_a_close_naming_the_problem(string frame)
    {
        await using var socket = await RawHubSocket.ConnectAsync(host.BaseUrl, messagePack: false);

        await socket.SendTextAsync(frame + "\u001e");

        var close = Assert.IsType<CloseMessage>(await socket.ReceiveMessageAsync(Patience));
        Assert.StartsWith("invalid message: ", close.Error, StringComparison.Ordinal);
        Assert.False(close.AllowReconnect, "the same client would only send the same frame again");
        Assert.True(await socket.ClosedByServiceAsync(Patience));
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, "invalid message: ")]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F }, "message too large: ")]
    public async Task A_messagepack_length_prefix_longer_than_five_bytes_or_beyond_2_gib_is_refused_with_a_close(byte[] prefix, string error)
    {
        await using var socket = await RawHubSocket.ConnectAsync(host.BaseUrl, messagePack: true);

        await socket.SendAsync(prefix, WebSocketMessageType.Binary);

        var close = Assert.IsType<CloseMessage>(await socket.ReceiveMessageAsync(Patience));
        Assert.StartsWith(error, close.Error, StringComparison.Ordinal);
        Assert.False(close.AllowReconnect);
        Assert.True(await socket.ClosedByServiceAsync(Patience));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_2_mib_invocation_is_forwarded_and_the_upstreams_413_comes_back_while_the_connection_stays_open(bool messagePack)
    {
        var hub = Build(messagePack);
        await hub.StartAsync();
        try
        {
            var blob = new string('x', 2 * 1024 * 1024);

            var failure = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<object>(GatewayProtocol.RequestTarget,
                new Dictionary<string, object> { ["method"] = "health", ["params"] = new Dictionary<string, object> { ["blob"] = blob } }).WaitAsync(Patience));

            Assert.Equal("Invocation failed, status code 413", failure.Message);
            Assert.Equal(HubConnectionState.Connected, hub.State);
            var health = await hub.InvokeAsync<object>(GatewayProtocol.RequestTarget, new Dictionary<string, object> { ["method"] = "health" });
            Assert.NotNull(health);
        }
        finally
        {
            await hub.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_message_beyond_the_local_memory_ceiling_is_refused_with_a_close_and_the_pending_call_fails_at_once()
    {
        var hub = Build(messagePack: false);
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.Closed += e => { closed.TrySetResult(e); return Task.CompletedTask; };
        await hub.StartAsync();

        var call = hub.InvokeAsync<JsonElement>(GatewayProtocol.RequestTarget,
            new { method = "health", @params = new { blob = new string('x', ClientConnectionHandler.MaxFrameBytes + 1) } });

        await Assert.ThrowsAnyAsync<Exception>(() => call.WaitAsync(Patience));
        var error = await closed.Task.WaitAsync(Patience);
        Assert.Contains("message too large", error?.Message, StringComparison.Ordinal);
        await hub.DisposeAsync();
    }

    private HubConnection Build(bool messagePack)
    {
        var builder = new HubConnectionBuilder().WithUrl(new Uri(host.BaseUrl, "api"));
        if (messagePack)
        {
            builder.AddMessagePackProtocol();
        }

        return builder.Build();
    }

    private async Task<HttpStatusCode> RestAsync(HttpMethod method, string connectionId, string query = "")
    {
        var path = "/api/hubs/gateway/connections/" + Uri.EscapeDataString(connectionId);
        using var request = new HttpRequestMessage(method, new Uri(host.BaseUrl, path.TrimStart('/') + "?api-version=2022-06-01" + query));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer",
            ServiceJwt.Create(LocalHostFixture.AccessKey, $"http://127.0.0.1{path}?api-version=2022-06-01", TimeSpan.FromMinutes(5), null, DateTimeOffset.UtcNow));
        using var response = await Http.SendAsync(request);
        return response.StatusCode;
    }

    public void Dispose() => errorLogs.AssertNoUnexpectedErrors();
}
