using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using FunctionsGateway.SignalR.Serverless;
using FunctionsGateway.Storage;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;
using Microsoft.AspNetCore.SignalR.Client;

namespace FunctionsGateway.IntegrationTests.EndToEnd;

/// <summary>The upstream HTTP contract, and bad frames sent by a real SignalR client.</summary>
[Collection(LocalHostCollection.Name)]
public sealed class UpstreamWireTests(LocalHostFixture host) : IDisposable
{
    private static readonly HttpClient Http = new();

    /// <summary>An Error/Critical line the local host logs during the test fails it unless the test declares it.</summary>
    private readonly ErrorLogCheck errorLogs = host.CheckErrorLogs();

    [Theory]
    [InlineData(null)]
    [InlineData("sha256=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("wrong-key")]
    public async Task An_upstream_call_with_a_missing_or_wrong_signature_is_401_and_nothing_is_dispatched(string? signature)
    {
        var connectionId = "forged-" + Guid.NewGuid().ToString("N");
        if (signature == "wrong-key")
        {
            signature = UpstreamSignature.Compute("not-the-access-key", connectionId);
        }

        using var response = await PostUpstreamAsync(connectionId, Invocation("1", GatewayMethods.ConnectChallenge), signature);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var tables = new TableServiceClient(Azurite.ConnectionString).GetTableClient(StorageNames.ConnectionsTable);
        Assert.False((await tables.GetEntityIfExistsAsync<TableEntity>(connectionId, "")).HasValue);
    }

    [Fact]
    public async Task An_unsigned_request_is_401_even_when_its_other_headers_are_missing_too()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(host.BaseUrl, "api/signalr/upstream")) { Content = new ByteArrayContent("{}"u8.ToArray()) };

        using var response = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("{\"type\":1,\"invocationId\":\"9\",\"target\":\"req\",\"arguments\":[{\"method\":\"\\ud800\"}]}")]
    [InlineData("{\"type\":1,\"invocationId\":\"9\",\"target\":\"req\",\"arguments\":[{\"method\":\"health\",\"params\":{\"x\":\"\\udc00\"}}]}")]
    public async Task Valid_json_with_a_lone_surrogate_gets_a_structured_error_not_a_500(string body)
    {
        var connectionId = "surrogate-" + Guid.NewGuid().ToString("N");

        using var response = await PostUpstreamAsync(connectionId, Encoding.UTF8.GetBytes(body), UpstreamSignature.Compute(LocalHostFixture.AccessKey, connectionId));

        Assert.True((int)response.StatusCode < 500, $"status {(int)response.StatusCode}");
        if (response.StatusCode == HttpStatusCode.OK)
        {
            var bytes = await response.Content.ReadAsByteArrayAsync();
            using var completion = JsonDocument.Parse(bytes.AsMemory(0, bytes.Length - 1));
            Assert.Equal("9", completion.RootElement.GetProperty("invocationId").GetString());
        }
    }

    [Fact]
    public async Task A_correctly_signed_upstream_call_is_answered_with_a_framed_completion()
    {
        var connectionId = "signed-" + Guid.NewGuid().ToString("N");

        using var response = await PostUpstreamAsync(connectionId, Invocation("7", GatewayMethods.ConnectChallenge),
            UpstreamSignature.Compute(LocalHostFixture.AccessKey, connectionId).ToLowerInvariant());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(0x1E, body[^1]);
        using var completion = JsonDocument.Parse(body.AsMemory(0, body.Length - 1));
        Assert.Equal(3, completion.RootElement.GetProperty("type").GetInt32());
        Assert.Equal("7", completion.RootElement.GetProperty("invocationId").GetString());
        Assert.True(completion.RootElement.GetProperty("result").GetProperty("ok").GetBoolean());
    }

    [Theory]
    [InlineData("text/plain", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json", HttpStatusCode.BadRequest)]
    public async Task Unreadable_upstream_bodies_get_a_client_error_never_a_500(string contentType, HttpStatusCode expected)
    {
        var connectionId = "garbage-" + Guid.NewGuid().ToString("N");
        using var request = UpstreamRequest(connectionId, "{not json"u8.ToArray(), UpstreamSignature.Compute(LocalHostFixture.AccessKey, connectionId));
        request.Content!.Headers.ContentType = new MediaTypeHeaderValue(contentType);

        using var response = await Http.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Wrong_argument_shapes_from_a_real_client_get_structured_errors_and_the_connection_survives()
    {
        var hub = new HubConnectionBuilder().WithUrl(new Uri(host.BaseUrl, "api")).Build();
        await hub.StartAsync();
        try
        {
            foreach (var args in new object?[][] { ["just a string"], [42], [new { method = 42 }], [new { method = "" }], [new { }], [new { method = "health" }, "extra"] })
            {
                var response = await hub.InvokeCoreAsync<JsonElement>(GatewayProtocol.RequestTarget, args);
                Assert.False(response.GetProperty("ok").GetBoolean());
                Assert.Equal(ErrorCodes.InvalidRequest, response.GetProperty("error").GetProperty("code").GetString());
                Assert.Equal(DetailCodes.MalformedFrame, response.GetProperty("error").GetProperty("details").GetProperty("code").GetString());
            }

            var otherTarget = await hub.InvokeAsync<JsonElement>("broadcast", new { method = "health" });
            Assert.Equal(DetailCodes.MalformedFrame, otherTarget.GetProperty("error").GetProperty("details").GetProperty("code").GetString());

            var healthy = await hub.InvokeAsync<JsonElement>(GatewayProtocol.RequestTarget, new { method = "health" });
            Assert.True(healthy.GetProperty("ok").GetBoolean());
        }
        finally
        {
            await hub.DisposeAsync();
        }
    }

    private static byte[] Invocation(string id, string method)
        => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { type = 1, invocationId = id, target = "req", arguments = new object[] { new { method } } }));

    private async Task<HttpResponseMessage> PostUpstreamAsync(string connectionId, byte[] body, string? signature)
        => await Http.SendAsync(UpstreamRequest(connectionId, body, signature));

    private HttpRequestMessage UpstreamRequest(string connectionId, byte[] body, string? signature)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(host.BaseUrl, "api/signalr/upstream")) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add(UpstreamHeaders.ConnectionIdHeader, connectionId);
        request.Headers.Add(UpstreamHeaders.HubHeader, "Gateway");
        request.Headers.Add(UpstreamHeaders.CategoryHeader, "messages");
        request.Headers.Add(UpstreamHeaders.EventHeader, "req");
        if (signature is not null)
        {
            request.Headers.Add(UpstreamHeaders.SignatureHeader, signature);
        }

        return request;
    }

    public void Dispose() => errorLogs.AssertNoUnexpectedErrors();
}
