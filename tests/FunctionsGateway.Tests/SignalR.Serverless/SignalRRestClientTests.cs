using System.Text;
using FunctionsGateway.SignalR.Serverless;

namespace FunctionsGateway.Tests.SignalR.Serverless;

public class SignalRRestClientTests
{
    private const string Key = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Args = Encoding.UTF8.GetBytes("[{\"event\":\"tick\",\"payload\":{\"n\":1},\"seq\":7}]");

    private readonly RecordingHandler _handler = new();
    private readonly FixedTimeProvider _time = new(Now);

    private SignalRRestClient Client(string? connectionString = null, int maxAttempts = 3) =>
        new(
            new HttpClient(_handler),
            SignalRConnectionString.Parse(connectionString ?? SignalRConnectionString.Emulator),
            new SignalRRestClientOptions { MaxAttempts = maxAttempts, RetryDelay = TimeSpan.Zero },
            _time);

    private RecordedRequest Single() => Assert.Single(_handler.Requests);

    [Fact]
    public async Task Send_to_connection_posts_target_and_arguments_as_json()
    {
        await Client().SendToConnectionAsync("gateway", "conn-1", "event", Args);

        var request = Single();
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("http://localhost:8888/api/hubs/gateway/connections/conn-1/:send?api-version=2022-06-01", request.Url);
        Assert.Equal("application/json", request.ContentType);
        Assert.Equal("{\"target\":\"event\",\"arguments\":[{\"event\":\"tick\",\"payload\":{\"n\":1},\"seq\":7}]}", request.BodyText);
    }

    [Fact]
    public async Task Bearer_token_audience_is_the_request_url_without_port()
    {
        await Client().SendToConnectionAsync("gateway", "conn-1", "event", Args);

        var token = Single().BearerToken;
        Assert.True(
            ServiceJwt.TryValidate(token, [Key], "http://localhost/api/hubs/gateway/connections/conn-1/:send?api-version=2022-06-01", Now, out var payload, out var error),
            error);
        Assert.InRange(payload.ExpiresAt - Now, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(60));
    }

    [Fact]
    public async Task Send_to_user_posts_to_the_user_path()
    {
        await Client().SendToUserAsync("gateway", "device:ab", "event", Args);

        Assert.Equal("http://localhost:8888/api/hubs/gateway/users/device%3Aab/:send?api-version=2022-06-01", Single().Url);
    }

    [Fact]
    public async Task Send_to_group_adds_excluded_connections_to_the_query_but_not_the_audience()
    {
        await Client().SendToGroupAsync("gateway", "ops", "event", Args, ["c1", "c 2"]);

        var request = Single();
        Assert.Equal("http://localhost:8888/api/hubs/gateway/groups/ops/:send?api-version=2022-06-01&excluded=c1&excluded=c%202", request.Url);
        Assert.True(ServiceJwt.TryValidate(request.BearerToken, [Key], "http://localhost/api/hubs/gateway/groups/ops/:send?api-version=2022-06-01", Now, out _, out var error), error);
    }

    [Fact]
    public async Task Hub_is_lower_cased_in_path_and_audience()
    {
        await Client().SendToConnectionAsync("GateWay", "c", "event", Args);

        var request = Single();
        Assert.StartsWith("http://localhost:8888/api/hubs/gateway/", request.Url, StringComparison.Ordinal);
        Assert.StartsWith("http://localhost/api/hubs/gateway/", Jwt.Payload(request.BearerToken!).GetProperty("aud").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_path_segment_is_url_escaped()
    {
        await Client().AddConnectionToGroupAsync("gateway", "a/b c?#%", "id/with space");

        var request = Single();
        Assert.Equal("http://localhost:8888/api/hubs/gateway/groups/a%2Fb%20c%3F%23%25/connections/id%2Fwith%20space?api-version=2022-06-01", request.Url);
        Assert.Equal(
            "http://localhost/api/hubs/gateway/groups/a%2Fb%20c%3F%23%25/connections/id%2Fwith%20space?api-version=2022-06-01",
            Jwt.Payload(request.BearerToken!).GetProperty("aud").GetString());
    }

    [Fact]
    public async Task Add_connection_to_group_puts_without_a_body()
    {
        Assert.Equal(SignalROperationResult.Success, await Client().AddConnectionToGroupAsync("gateway", "ops", "c1"));

        var request = Single();
        Assert.Equal(HttpMethod.Put, request.Method);
        Assert.Equal("http://localhost:8888/api/hubs/gateway/groups/ops/connections/c1?api-version=2022-06-01", request.Url);
        Assert.Null(request.Body);
    }

    [Fact]
    public async Task Remove_connection_from_group_deletes()
    {
        Assert.Equal(SignalROperationResult.Success, await Client().RemoveConnectionFromGroupAsync("gateway", "ops", "c1"));

        var request = Single();
        Assert.Equal(HttpMethod.Delete, request.Method);
        Assert.Equal("http://localhost:8888/api/hubs/gateway/groups/ops/connections/c1?api-version=2022-06-01", request.Url);
    }

    [Fact]
    public async Task Close_connection_deletes_with_the_reason_in_the_query_but_not_the_audience()
    {
        _handler.Then(200);

        Assert.Equal(SignalROperationResult.Success, await Client().CloseConnectionAsync("gateway", "c1", "pairing revoked"));

        var request = Single();
        Assert.Equal(HttpMethod.Delete, request.Method);
        Assert.Equal("http://localhost:8888/api/hubs/gateway/connections/c1?api-version=2022-06-01&reason=pairing%20revoked", request.Url);
        Assert.Equal("http://localhost/api/hubs/gateway/connections/c1?api-version=2022-06-01", Jwt.Payload(request.BearerToken!).GetProperty("aud").GetString());
    }

    [Fact]
    public async Task Close_connection_without_reason_has_no_reason_query()
    {
        await Client().CloseConnectionAsync("gateway", "c1", null);

        Assert.Equal("http://localhost:8888/api/hubs/gateway/connections/c1?api-version=2022-06-01", Single().Url);
    }

    [Theory]
    [InlineData(200, true)]
    [InlineData(404, false)]
    public async Task Connection_exists_sends_head_and_maps_200_and_404(int status, bool expected)
    {
        _handler.Then(status);

        Assert.Equal(expected, await Client().ConnectionExistsAsync("gateway", "c1"));

        var request = Single();
        Assert.Equal(HttpMethod.Head, request.Method);
        Assert.Equal("http://localhost:8888/api/hubs/gateway/connections/c1?api-version=2022-06-01", request.Url);
    }

    [Theory]
    [InlineData(200)]
    [InlineData(202)]
    [InlineData(204)]
    public async Task Sends_accept_200_202_and_204(int status)
    {
        _handler.Then(status);

        await Client().SendToUserAsync("gateway", "u", "event", Args);

        Single();
    }

    [Fact]
    public async Task Send_is_not_retried_on_500_because_it_could_duplicate_the_message()
    {
        _handler.Then(500).Then(202);

        var ex = await Assert.ThrowsAsync<SignalRServiceException>(() => Client().SendToConnectionAsync("gateway", "c", "event", Args));

        Assert.Equal(500, ex.StatusCode);
        Single();
    }

    [Fact]
    public async Task Send_is_retried_on_503()
    {
        _handler.Then(503).Then(502).Then(202);

        await Client().SendToGroupAsync("gateway", "g", "event", Args);

        Assert.Equal(3, _handler.Requests.Count);
        Assert.All(_handler.Requests, r => Assert.Equal(_handler.Requests[0].BodyText, r.BodyText));
    }

    [Fact]
    public async Task Send_is_not_retried_on_408()
    {
        _handler.Then(408);

        await Assert.ThrowsAsync<SignalRServiceException>(() => Client().SendToConnectionAsync("gateway", "c", "event", Args));

        Single();
    }

    [Fact]
    public async Task Retries_stop_after_three_tries()
    {
        _handler.Then(503).Then(503).Then(503).Then(202);

        var ex = await Assert.ThrowsAsync<SignalRServiceException>(() => Client().SendToConnectionAsync("gateway", "c", "event", Args));

        Assert.Equal(503, ex.StatusCode);
        Assert.Equal(3, _handler.Requests.Count);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(408)]
    public async Task Group_operations_are_retried_on_500_and_above_and_on_408(int status)
    {
        _handler.Then(status).Then(200);

        Assert.Equal(SignalROperationResult.Success, await Client().AddConnectionToGroupAsync("gateway", "g", "c"));

        Assert.Equal(2, _handler.Requests.Count);
    }

    [Fact]
    public async Task Client_errors_are_not_retried_and_carry_status_and_code()
    {
        _handler.Then(400, "Error.InvalidArgument");

        var ex = await Assert.ThrowsAsync<SignalRServiceException>(() => Client().RemoveConnectionFromGroupAsync("gateway", "g", "c"));

        Assert.Equal(400, ex.StatusCode);
        Assert.Equal("Error.InvalidArgument", ex.ErrorCode);
        Assert.Equal("RemoveConnectionFromGroup", ex.Operation);
        Single();
    }

    [Fact]
    public async Task Add_to_group_404_error_connection_not_existed_means_not_existed()
    {
        _handler.Then(404, "Error.Connection.NotExisted");

        Assert.Equal(SignalROperationResult.NotExisted, await Client().AddConnectionToGroupAsync("gateway", "g", "gone"));
    }

    [Fact]
    public async Task Close_404_warning_connection_not_existed_means_not_existed()
    {
        _handler.Then(404, "Warning.Connection.NotExisted");

        Assert.Equal(SignalROperationResult.NotExisted, await Client().CloseConnectionAsync("gateway", "gone", "bye"));
    }

    [Fact]
    public async Task Remove_from_group_404_not_existed_means_not_existed()
    {
        _handler.Then(404, "Warning.Connection.NotExisted");

        Assert.Equal(SignalROperationResult.NotExisted, await Client().RemoveConnectionFromGroupAsync("gateway", "g", "gone"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Warning.Connection.NotExisted")]
    public async Task Add_to_group_404_without_the_add_code_throws(string? code)
    {
        _handler.Then(404, code);

        var ex = await Assert.ThrowsAsync<SignalRServiceException>(() => Client().AddConnectionToGroupAsync("gateway", "g", "c"));

        Assert.Equal(404, ex.StatusCode);
    }

    [Fact]
    public async Task Close_404_without_a_code_throws()
    {
        _handler.Then(404);

        await Assert.ThrowsAsync<SignalRServiceException>(() => Client().CloseConnectionAsync("gateway", "c", null));
    }

    [Fact]
    public async Task Exceptions_never_contain_the_bearer_token()
    {
        _handler.Then(401, "Error.Unauthorized");

        var ex = await Assert.ThrowsAsync<SignalRServiceException>(() => Client().SendToUserAsync("gateway", "u", "event", Args));

        var token = Single().BearerToken!;
        Assert.DoesNotContain(token, ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split('.')[2], ex.Message, StringComparison.Ordinal);
        Assert.Contains("401", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transport_failures_are_retried_for_group_operations()
    {
        _handler.ThenThrow(new HttpRequestException("reset")).Then(200);

        Assert.Equal(SignalROperationResult.Success, await Client().RemoveConnectionFromGroupAsync("gateway", "g", "c"));
        Assert.Equal(2, _handler.Requests.Count);
    }

    [Fact]
    public async Task Transport_failures_are_not_retried_for_sends()
    {
        _handler.ThenThrow(new HttpRequestException("reset")).Then(202);

        await Assert.ThrowsAsync<HttpRequestException>(() => Client().SendToConnectionAsync("gateway", "c", "event", Args));
        Single();
    }

    [Fact]
    public async Task Tokens_are_reused_per_audience_and_refreshed_later()
    {
        var client = Client();
        await client.SendToConnectionAsync("gateway", "c1", "event", Args);
        await client.SendToConnectionAsync("gateway", "c1", "event", Args);
        await client.SendToConnectionAsync("gateway", "c2", "event", Args);
        _time.Now = Now.AddMinutes(6);
        await client.SendToConnectionAsync("gateway", "c1", "event", Args);

        var tokens = _handler.Requests.Select(r => r.BearerToken).ToList();
        Assert.Equal(tokens[0], tokens[1]);
        Assert.NotEqual(tokens[0], tokens[2]);
        Assert.NotEqual(tokens[0], tokens[3]);
    }

    [Fact]
    public async Task Server_endpoint_is_the_base_url_while_the_audience_uses_the_service_host()
    {
        await Client("Endpoint=https://demo.service.signalr.net;AccessKey=k;ServerEndpoint=http://10.1.2.3:8080/prefix").SendToUserAsync("gateway", "u", "event", Args);

        var request = Single();
        Assert.Equal("http://10.1.2.3:8080/prefix/api/hubs/gateway/users/u/:send?api-version=2022-06-01", request.Url);
        Assert.Equal("https://demo.service.signalr.net/api/hubs/gateway/users/u/:send?api-version=2022-06-01", Jwt.Payload(request.BearerToken!).GetProperty("aud").GetString());
    }

    [Fact]
    public async Task A_custom_token_source_supplies_the_bearer_token()
    {
        var source = new RecordingTokenSource();
        var client = new SignalRRestClient(
            new HttpClient(_handler),
            SignalRConnectionString.Parse("Endpoint=https://demo.service.signalr.net;AuthType=azure"),
            source,
            new SignalRRestClientOptions { RetryDelay = TimeSpan.Zero });

        await client.SendToUserAsync("gateway", "u", "event", Args);

        Assert.Equal("entra-token", Single().BearerToken);
        Assert.Equal(["https://demo.service.signalr.net/api/hubs/gateway/users/u/:send?api-version=2022-06-01"], source.Audiences);
    }

    [Fact]
    public void Identity_connection_string_without_token_source_is_refused()
    {
        Assert.Throws<InvalidOperationException>(() => Client("Endpoint=https://demo.service.signalr.net;AuthType=azure"));
    }

    [Theory]
    [InlineData("{\"a\":1}")]
    [InlineData("[1,")]
    [InlineData("")]
    [InlineData("[1] [2]")]
    public async Task Arguments_must_be_a_json_array(string json)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Client().SendToConnectionAsync("gateway", "c", "event", Encoding.UTF8.GetBytes(json)));

        Assert.Empty(_handler.Requests);
    }

    [Fact]
    public async Task Empty_ids_are_refused_before_any_request()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Client().SendToConnectionAsync("gateway", "", "event", Args));
        await Assert.ThrowsAsync<ArgumentException>(() => Client().AddConnectionToGroupAsync("gateway", "g", ""));
        await Assert.ThrowsAsync<ArgumentException>(() => Client().SendToUserAsync("bad hub", "u", "event", Args));

        Assert.Empty(_handler.Requests);
    }

    private sealed class RecordingTokenSource : IServiceTokenSource
    {
        public List<string> Audiences { get; } = [];

        public ValueTask<string> GetAccessTokenAsync(string audience, CancellationToken cancellationToken = default)
        {
            Audiences.Add(audience);
            return ValueTask.FromResult("entra-token");
        }
    }
}
