using FunctionsGateway.Hosting;
using FunctionsGateway.SignalR.Serverless;
using FunctionsGateway.Tests.SignalR.Serverless;
using Microsoft.AspNetCore.Http;

namespace FunctionsGateway.Tests.Hosting.OperatorConsole;

/// <summary>The console's files and headers, independent of any host.</summary>
public sealed class ConsoleEndpointTests
{
    [Theory]
    [InlineData("https://gw.service.signalr.net/client/?hub=gateway", "https://gw.service.signalr.net wss://gw.service.signalr.net")]
    [InlineData("https://gw.service.signalr.net:8443/client/?hub=gateway", "https://gw.service.signalr.net:8443 wss://gw.service.signalr.net:8443")]
    [InlineData("http://127.0.0.1:7071/client/?hub=gateway", "http://127.0.0.1:7071 ws://127.0.0.1:7071")]
    public void Connect_src_names_the_signalr_endpoints_origin_for_http_and_for_websockets(string clientUrl, string sources)
    {
        var policy = ConsoleEndpoint.BuildPolicy(new Uri(clientUrl));

        Assert.Contains($"connect-src 'self' {sources};", policy, StringComparison.Ordinal);
        Assert.StartsWith("default-src 'none'; script-src 'self'; style-src 'self';", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", policy, StringComparison.Ordinal);
    }

    [Fact]
    public void The_policy_follows_the_url_negotiate_sends_clients_to_the_client_endpoint_when_one_is_set()
    {
        var connection = SignalRConnectionString.Parse(
            "Endpoint=https://gw.service.signalr.net;ClientEndpoint=https://edge.example.org;AccessKey=" + new string('k', 44) + ";Version=1.0;");
        var endpoint = new ConsoleEndpoint(new NegotiateResponseFactory(connection, null, new FixedTimeProvider(DateTimeOffset.UtcNow)));

        Assert.Contains("connect-src 'self' https://edge.example.org wss://edge.example.org;", endpoint.ContentSecurityPolicy, StringComparison.Ordinal);
    }

    [Fact]
    public void The_allow_list_is_exactly_the_embedded_console_files()
    {
        Assert.Equal(
            ["app.js", "console.css", "device.js", "errors.js", "gateway.js", "icon.svg", "index.html", "signalr.min.js", "view-audit.js", "view-devices.js", "view-kit.js", "view-pending.js", "view-sessions.js"],
            ConsoleAssets.All.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_signalr_browser_client_is_the_one_npm_installed_copied_at_build()
    {
        var installed = File.ReadAllBytes(Path.Combine(RepoPaths.Root, "node_modules", "@microsoft", "signalr", "dist", "browser", "signalr.min.js"));

        Assert.Equal(installed, ConsoleAssets.All[ConsoleAssets.SignalRClient].Body);
    }

    [Fact]
    public void An_unchanged_file_is_a_304_with_the_same_headers_and_no_body()
    {
        var endpoint = new ConsoleEndpoint(new Uri("https://gw.service.signalr.net/client/?hub=gateway"));
        var first = endpoint.Handle(new DefaultHttpContext().Request, "app.js");
        var etag = first.Headers!.Single(h => h.Key == "ETag").Value;
        var context = new DefaultHttpContext();
        context.Request.Headers.IfNoneMatch = "\"other\", " + etag;

        var again = endpoint.Handle(context.Request, "app.js");

        Assert.Equal(200, first.Status);
        Assert.Equal(304, again.Status);
        Assert.True(again.Body.IsEmpty);
        Assert.Equal(first.Headers, again.Headers);
    }

    [Theory]
    [InlineData(null, "index.html")]
    [InlineData("", "index.html")]
    [InlineData("gateway.js", "gateway.js")]
    public void An_empty_name_is_the_page_and_a_listed_name_is_that_file(string? asset, string served)
    {
        var reply = new ConsoleEndpoint(new Uri("http://127.0.0.1:7071/client/?hub=gateway")).Handle(new DefaultHttpContext().Request, asset);

        Assert.Equal(200, reply.Status);
        Assert.Equal(ConsoleAssets.All[served].Body, reply.Body.ToArray());
    }

    [Theory]
    [InlineData("../index.html")]
    [InlineData("..\\app.js")]
    [InlineData("console/app.js")]
    [InlineData("App.js")]
    [InlineData("app.js ")]
    public void A_name_that_is_not_exactly_a_listed_file_is_404(string asset)
    {
        var reply = new ConsoleEndpoint(new Uri("http://127.0.0.1:7071/client/?hub=gateway")).Handle(new DefaultHttpContext().Request, asset);

        Assert.Equal(404, reply.Status);
        Assert.Contains(ConsoleEndpoint.AssetNotFoundCode, System.Text.Encoding.UTF8.GetString(reply.Body.Span), StringComparison.Ordinal);
        Assert.Contains(reply.Headers!, h => h.Key == "Content-Security-Policy");
    }
}
