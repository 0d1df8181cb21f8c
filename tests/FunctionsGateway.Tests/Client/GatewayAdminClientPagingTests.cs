using System.Net;
using System.Text;
using FunctionsGateway.Client;

namespace FunctionsGateway.Tests.Client;

/// <summary>The admin client asks for a page with <c>limit</c> and <c>next</c>, and hands back where the next one starts.</summary>
public sealed class GatewayAdminClientPagingTests
{
    [Fact]
    public async Task A_page_is_asked_for_with_limit_and_an_escaped_next_and_its_next_is_read_back()
    {
        var handler = new RecordingHandler("""{"pending": [], "paired": [], "next": "MXwtfGFi+/="}""");
        using var admin = new GatewayAdminClient(new Uri("http://127.0.0.1:7071"), "admin-key-value", new HttpClient(handler));

        var page = await admin.ListAsync(50, "MXwtfGFi+/=");

        Assert.Equal("http://127.0.0.1:7071/api/admin/pairing?limit=50&next=MXwtfGFi%2B%2F%3D", handler.Url);
        Assert.Equal("MXwtfGFi+/=", page.Next);
    }

    [Fact]
    public async Task The_last_page_has_no_next_and_the_plain_list_sends_no_query()
    {
        var handler = new RecordingHandler("""{"pending": [], "paired": []}""");
        using var admin = new GatewayAdminClient(new Uri("http://127.0.0.1:7071"), "admin-key-value", new HttpClient(handler));

        var page = await admin.ListAsync();

        Assert.Equal("http://127.0.0.1:7071/api/admin/pairing", handler.Url);
        Assert.Null(page.Next);
    }

    private sealed class RecordingHandler(string body) : HttpMessageHandler
    {
        public string? Url { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Url = request.RequestUri!.AbsoluteUri;
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
        }
    }
}
