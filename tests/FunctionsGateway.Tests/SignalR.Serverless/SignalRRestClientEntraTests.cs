using System.Text;
using Azure.Identity;
using FunctionsGateway.SignalR.Serverless;

namespace FunctionsGateway.Tests.SignalR.Serverless;

/// <summary>REST under Entra ID: every call carries the Entra bearer token (Azure.Core's policy), and only the client's own retry rules apply.</summary>
public sealed class SignalRRestClientEntraTests : IAsyncLifetime
{
    private static readonly byte[] Args = Encoding.UTF8.GetBytes("[{\"event\":\"e\"}]");
    private readonly FakeTokenCredential _credential = new();
    private FakeSignalRService _service = null!;
    private HttpClient _http = null!;
    private SignalRRestClient _client = null!;

    public async Task InitializeAsync()
    {
        _service = await FakeSignalRService.StartAsync();
        _http = _service.CreateClient();
        _client = new SignalRRestClient(
            SignalREntra.CreatePipeline(_http, _credential), _service.ConnectionString, new SignalRRestClientOptions { RetryDelay = TimeSpan.Zero });
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _service.DisposeAsync();
    }

    [Fact]
    public async Task Send_close_and_group_add_carry_the_entra_bearer_token_not_a_locally_signed_jwt()
    {
        await _client.SendToConnectionAsync("gateway", "conn-1", "event", Args);
        Assert.Equal(SignalROperationResult.Success, await _client.CloseConnectionAsync("gateway", "conn-1", "bye"));
        Assert.Equal(SignalROperationResult.Success, await _client.AddConnectionToGroupAsync("gateway", "nodes", "conn-1"));

        Assert.Collection(
            _service.Requests,
            r => Assert.Equal(("POST", "/api/hubs/gateway/connections/conn-1/:send?api-version=2022-06-01"), (r.Method, r.PathAndQuery)),
            r => Assert.Equal(("DELETE", "/api/hubs/gateway/connections/conn-1?api-version=2022-06-01&reason=bye"), (r.Method, r.PathAndQuery)),
            r => Assert.Equal(("PUT", "/api/hubs/gateway/groups/nodes/connections/conn-1?api-version=2022-06-01"), (r.Method, r.PathAndQuery)));
        Assert.All(_service.Requests, r => Assert.Equal("Bearer " + FakeTokenCredential.DefaultToken, r.Authorization));
        Assert.All(_credential.Scopes, s => Assert.Equal(["https://signalr.azure.com/.default"], s));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_pipeline_adds_no_retries_of_its_own(bool send)
    {
        _service.RestStatus = 503;

        if (send)
        {
            await Assert.ThrowsAsync<SignalRServiceException>(() => _client.SendToConnectionAsync("gateway", "conn-1", "event", Args));
        }
        else
        {
            await Assert.ThrowsAsync<SignalRServiceException>(() => _client.CloseConnectionAsync("gateway", "conn-1", null));
        }

        // The client's documented rule: 3 tries. Azure.Core's default retry policy would have made it 12.
        Assert.Equal(3, _service.Requests.Count);
    }

    [Fact]
    public async Task A_credential_that_fails_surfaces_as_a_service_exception_and_nothing_is_sent()
    {
        _credential.Failure = new AuthenticationFailedException("no managed identity here");

        var failure = await Assert.ThrowsAsync<SignalRServiceException>(() => _client.AddConnectionToGroupAsync("gateway", "nodes", "conn-1"));

        Assert.Equal("AddConnectionToGroup", failure.Operation);
        Assert.Contains("AuthenticationFailedException: no managed identity here", failure.Message, StringComparison.Ordinal);
        Assert.Empty(_service.Requests);
        Assert.Equal(1, _credential.Calls); // not retried: a missing token is not a transport fault
    }
}
