using System.Net;
using System.Text;
using FunctionsGateway.Client;

namespace FunctionsGateway.Tests.Client;

public sealed class GatewayAdminClientTests
{
    private const string AdminKey = "admin-key-value";

    [Fact]
    public async Task List_sends_the_key_header_and_reads_pending_and_paired()
    {
        var handler = new ScriptedHandler(HttpStatusCode.OK, """
            {"pending": [{"requestId": "r1", "deviceId": "d1", "reason": "not-paired", "role": "operator",
                          "requestedScopes": ["operator.admin"], "approvedScopes": [], "clientId": "cli", "platform": "linux",
                          "createdAtMs": 1000, "expiresAtMs": 301000, "unknownField": true}],
             "paired": [{"deviceId": "d0", "roles": ["operator"], "scopes": ["operator.read"], "clientId": "app",
                         "platform": "windows", "deviceFamily": "", "internal": true, "pairedAtMs": 5}]}
            """);
        using var admin = new GatewayAdminClient(new Uri("http://127.0.0.1:7071"), AdminKey, new HttpClient(handler));

        var list = await admin.ListAsync();

        Assert.Equal(HttpMethod.Get, handler.Method);
        Assert.Equal("http://127.0.0.1:7071/api/admin/pairing", handler.Url);
        Assert.Equal(AdminKey, handler.Key);
        var pending = Assert.Single(list.Pending);
        Assert.Equal(("r1", "d1", "not-paired", "operator"), (pending.RequestId, pending.DeviceId, pending.Reason, pending.Role));
        Assert.Equal(("cli", "linux", 1000L, 301000L), (pending.ClientId, pending.Platform, pending.CreatedAtMs, pending.ExpiresAtMs));
        Assert.Empty(pending.ApprovedScopes);
        Assert.Equal(["operator.admin"], pending.RequestedScopes);
        var paired = Assert.Single(list.Paired);
        Assert.Equal("d0", paired.DeviceId);
        Assert.True(paired.Internal);
        Assert.Equal(["operator.read"], paired.Scopes!);
        Assert.True(list.Json.GetProperty("pending")[0].GetProperty("unknownField").GetBoolean());
    }

    [Fact]
    public async Task Approve_posts_to_the_request_and_reads_the_decision()
    {
        var handler = new ScriptedHandler(HttpStatusCode.OK, """
            {"requestId": "r/1", "deviceId": "d1", "decision": "approved", "role": "operator", "scopes": ["operator.read"]}
            """);
        using var admin = new GatewayAdminClient(new Uri("https://host:7071/"), AdminKey, new HttpClient(handler));

        var decision = await admin.ApproveAsync("r/1");

        Assert.Equal(HttpMethod.Post, handler.Method);
        Assert.Equal("https://host:7071/api/admin/pairing/r%2F1/approve", handler.Url);
        Assert.Equal("approved", decision.Decision);
        Assert.Equal("d1", decision.DeviceId);
        Assert.Equal(["operator.read"], decision.Scopes);
    }

    [Fact]
    public async Task Reject_posts_to_the_reject_path()
    {
        var handler = new ScriptedHandler(HttpStatusCode.OK, """{"requestId": "r1", "deviceId": "d1", "decision": "rejected"}""");
        using var admin = new GatewayAdminClient(new Uri("https://host:7071"), AdminKey, new HttpClient(handler));

        var decision = await admin.RejectAsync("r1");

        Assert.Equal("https://host:7071/api/admin/pairing/r1/reject", handler.Url);
        Assert.Equal("rejected", decision.Decision);
        Assert.Null(decision.Role);
    }

    [Theory]
    [InlineData(HttpStatusCode.NotFound, "PAIRING_REQUEST_NOT_FOUND")]
    [InlineData(HttpStatusCode.Conflict, "PAIRING_REQUEST_EXPIRED")]
    public async Task A_non_success_answer_carries_the_status_and_the_error_body(HttpStatusCode status, string detailCode)
    {
        var handler = new ScriptedHandler(status,
            "{\"error\": {\"code\": \"INVALID_REQUEST\", \"message\": \"no such request\", \"details\": {\"code\": \"" + detailCode + "\"}}}");
        using var admin = new GatewayAdminClient(new Uri("https://host:7071"), AdminKey, new HttpClient(handler));

        var error = await Assert.ThrowsAsync<GatewayAdminException>(() => admin.ApproveAsync("r1"));

        Assert.Equal(status, error.StatusCode);
        Assert.Equal("INVALID_REQUEST", error.Code);
        Assert.Equal(detailCode, error.DetailCode);
        Assert.Equal("no such request", error.Message);
    }

    [Fact]
    public async Task A_401_without_a_body_says_the_key_is_wrong_without_repeating_it()
    {
        var handler = new ScriptedHandler(HttpStatusCode.Unauthorized, "");
        using var admin = new GatewayAdminClient(new Uri("https://host:7071"), AdminKey, new HttpClient(handler));

        var error = await Assert.ThrowsAsync<GatewayAdminException>(() => admin.ListAsync());

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Equal("HTTP_401", error.Code);
        Assert.Contains("admin key", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(AdminKey, error.ToString(), StringComparison.Ordinal);
    }

    private sealed class ScriptedHandler(HttpStatusCode status, string body) : HttpMessageHandler
    {
        public HttpMethod? Method { get; private set; }

        public string? Url { get; private set; }

        public string? Key { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Method = request.Method;
            Url = request.RequestUri!.OriginalString;
            Key = request.Headers.TryGetValues("x-functions-key", out var values) ? values.Single() : null;
            return Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
        }
    }
}
