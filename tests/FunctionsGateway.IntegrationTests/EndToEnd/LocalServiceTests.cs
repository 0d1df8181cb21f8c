using FunctionsGateway.Client;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Azure.Storage.Queues;
using FunctionsGateway.SignalR.Serverless;
using FunctionsGateway.Storage;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.LocalHost;

namespace FunctionsGateway.IntegrationTests.EndToEnd;

/// <summary>The local SignalR service and admin API refuse what Azure would refuse.</summary>
[Collection(LocalHostCollection.Name)]
public sealed class LocalServiceTests(LocalHostFixture host) : IDisposable
{
    private static readonly HttpClient Http = new();

    /// <summary>An Error/Critical line the local host logs during the test fails it unless the test declares it.</summary>
    private readonly ErrorLogCheck errorLogs = host.CheckErrorLogs();

    public static TheoryData<string> BadClientTokens => new() { "none", "forged", "wrong-audience", "expired" };

    [Theory]
    [MemberData(nameof(BadClientTokens))]
    public async Task The_client_endpoint_refuses_a_missing_forged_misaddressed_or_expired_token(string kind)
    {
        var now = DateTimeOffset.UtcNow;
        var audience = $"http://127.0.0.1/client/?hub=gateway";
        var token = kind switch
        {
            "none" => null,
            "forged" => ServiceJwt.Create("another-key-entirely-0123456789", audience, TimeSpan.FromMinutes(5), null, now),
            "wrong-audience" => ServiceJwt.Create(LocalHostFixture.AccessKey, "http://127.0.0.1/client/?hub=other", TimeSpan.FromMinutes(5), null, now),
            _ => ServiceJwt.Create(LocalHostFixture.AccessKey, audience, TimeSpan.FromMinutes(5), null, now.AddHours(-1)),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(host.BaseUrl, "client/negotiate?hub=gateway&negotiateVersion=1"));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_valid_token_for_the_hub_is_accepted_by_the_client_endpoint()
    {
        var token = ServiceJwt.Create(LocalHostFixture.AccessKey, "http://127.0.0.1/client/?hub=gateway", TimeSpan.FromMinutes(5), null, DateTimeOffset.UtcNow);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(host.BaseUrl, "client/negotiate?hub=gateway&negotiateVersion=1"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var response = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("/api/hubs/gateway/connections/nobody/:send", true)]
    [InlineData("/api/hubs/gateway/groups/pairing-watchers/:send", false)]
    public async Task The_rest_api_requires_a_token_for_exactly_its_url(string path, bool rightAudience)
    {
        var audience = rightAudience ? $"http://127.0.0.1{path}?api-version=2022-06-01" : "http://127.0.0.1/api/hubs/gateway/:send?api-version=2022-06-01";
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(host.BaseUrl, path.TrimStart('/') + "?api-version=2022-06-01"))
        {
            Content = new StringContent("{\"target\":\"event\",\"arguments\":[{}]}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer",
            ServiceJwt.Create(LocalHostFixture.AccessKey, audience, TimeSpan.FromMinutes(5), null, DateTimeOffset.UtcNow));

        using var response = await Http.SendAsync(request);

        Assert.Equal(rightAudience ? HttpStatusCode.Accepted : HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Closing_an_unknown_connection_through_the_rest_api_succeeds_as_the_service_does()
    {
        const string path = "/api/hubs/gateway/connections/nobody-here";
        using var request = new HttpRequestMessage(HttpMethod.Delete, new Uri(host.BaseUrl, path.TrimStart('/') + "?api-version=2022-06-01&reason=bye"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer",
            ServiceJwt.Create(LocalHostFixture.AccessKey, $"http://127.0.0.1{path}?api-version=2022-06-01", TimeSpan.FromMinutes(5), null, DateTimeOffset.UtcNow));

        using var response = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-the-admin-key-at-all")]
    public async Task The_admin_api_refuses_a_missing_or_wrong_key(string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(host.BaseUrl, "api/admin/pairing"));
        if (key is not null)
        {
            request.Headers.Add(LocalGatewayApp.AdminKeyHeader, key);
        }

        using var response = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var approve = await Http.PostAsync(new Uri(host.BaseUrl, "api/admin/pairing/0123456789abcdef0123456789abcdef/approve"), null);
        Assert.Equal(HttpStatusCode.Unauthorized, approve.StatusCode);
    }

    [Fact]
    public async Task A_malformed_close_message_ends_in_the_poison_queue_after_five_attempts()
    {
        var queues = new QueueServiceClient(Azurite.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var poison = queues.GetQueueClient(StorageNames.CloseQueue + "-poison");
        var marker = "not json " + Guid.NewGuid().ToString("N");
        // Expected: the pump logs the poisoning at Error (event 900) before it moves the message.
        errorLogs.Expect("FunctionsGateway.LocalHost.QueuePump", "moved to the poison queue");

        await queues.GetQueueClient(StorageNames.CloseQueue).SendMessageAsync(marker);

        // Polls Azurite until the message shows up; bounded, no fixed sleeps.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var found = false;
        while (!found && DateTime.UtcNow < deadline)
        {
            var peeked = await poison.PeekMessagesAsync(32);
            found = peeked.Value.Any(m => m.Body.ToString() == marker);
        }

        Assert.True(found, "the malformed message never reached gateway-close-poison");
    }

    public void Dispose() => errorLogs.AssertNoUnexpectedErrors();
}
