using System.Net;
using System.Text.Json;
using FunctionsGateway.Hosting;
using FunctionsGateway.IntegrationTests.Infrastructure;

namespace FunctionsGateway.IntegrationTests.OperatorConsole;

/// <summary>How the local host serves the console: the allow-listed files only, each with the security headers.</summary>
[Collection(LocalHostCollection.Name)]
public sealed class ConsoleServingTests(LocalHostFixture host, BrowserFixture browser) : IClassFixture<BrowserFixture>, IDisposable
{
    private static readonly string[] Directives =
    [
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "base-uri 'none'",
        "form-action 'none'", "frame-ancestors 'none'",
    ];

    private readonly ErrorLogCheck errorLogs = host.CheckErrorLogs();

    [Theory]
    [InlineData("/api/console", "text/html")]
    [InlineData("/api/console/index.html", "text/html")]
    [InlineData("/api/console/app.js", "text/javascript")]
    [InlineData("/api/console/gateway.js", "text/javascript")]
    [InlineData("/api/console/device.js", "text/javascript")]
    [InlineData("/api/console/errors.js", "text/javascript")]
    [InlineData("/api/console/icon.svg", "image/svg+xml")]
    [InlineData("/api/console/console.css", "text/css")]
    [InlineData("/api/console/signalr.min.js", "text/javascript")]
    public async Task Every_console_file_is_served_with_its_type_a_strict_csp_and_revalidation(string path, string mediaType)
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(host.BaseUrl, path));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        AssertSecurityHeaders(response);
        Assert.True(response.Headers.CacheControl?.NoCache, "console files are revalidated on every load");
        Assert.NotNull(response.Headers.ETag);

        // The ETag makes a reload of an unchanged file a 304 without a body.
        using var again = new HttpRequestMessage(HttpMethod.Get, new Uri(host.BaseUrl, path));
        again.Headers.IfNoneMatch.Add(response.Headers.ETag!);
        using var revalidated = await http.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
        AssertSecurityHeaders(revalidated);
    }

    [Fact]
    public async Task The_csp_lets_the_page_connect_only_to_its_own_origin_and_the_signalr_endpoint_negotiate_names()
    {
        using var http = new HttpClient();
        using var page = await http.GetAsync(new Uri(host.BaseUrl, "/api/console"));
        using var negotiate = await http.PostAsync(new Uri(host.BaseUrl, "/api/negotiate"), null);
        using var answer = JsonDocument.Parse(await negotiate.Content.ReadAsStringAsync());
        var service = new Uri(answer.RootElement.GetProperty("url").GetString()!);

        var connectSrc = Csp(page).Split(';', StringSplitOptions.TrimEntries).Single(d => d.StartsWith("connect-src ", StringComparison.Ordinal));
        var origin = service.GetLeftPart(UriPartial.Authority);
        Assert.Equal($"connect-src 'self' {origin} ws{origin[4..]}", connectSrc);
    }

    [Theory]
    [InlineData("/api/console/nope.js")]
    [InlineData("/api/console/..%2Fappsettings.json")]
    [InlineData("/api/console/%2E%2E%2F%2E%2E%2FFunctionsGateway.LocalHost.dll")]
    [InlineData("/api/console/FunctionsGateway.Hosting.dll")]
    [InlineData("/api/console/INDEX.HTML")]
    [InlineData("/api/console/index.html.map")]
    public async Task Any_other_path_is_a_404_json_error_with_the_same_headers(string path)
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(host.BaseUrl, path));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        AssertSecurityHeaders(response);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(ConsoleEndpoint.AssetNotFoundCode, body.RootElement.GetProperty("error").GetProperty("details").GetProperty("code").GetString());
    }

    [Fact]
    public async Task The_page_has_no_inline_script_style_or_handler_as_the_browser_parses_it()
    {
        await using var console = await browser.OpenConsoleAsync(host.BaseUrl);
        var html = await new HttpClient().GetStringAsync(new Uri(host.BaseUrl, "/api/console"));

        // The browser's own parser, over the served bytes (not the live DOM, which scripts may have changed).
        var inline = await console.Page.EvaluateAsync<string[]>("""
            (html) => {
              const doc = new DOMParser().parseFromString(html, "text/html");
              const found = [];
              for (const script of doc.querySelectorAll("script")) if (!script.src || script.textContent.trim()) found.push("inline script");
              for (const style of doc.querySelectorAll("style")) found.push("style element");
              for (const element of doc.querySelectorAll("*")) {
                for (const attribute of element.attributes) {
                  if (attribute.name === "style") found.push(`style attribute on <${element.localName}>`);
                  if (attribute.name.startsWith("on")) found.push(`${attribute.name} handler on <${element.localName}>`);
                  if (/^\s*javascript:/i.test(attribute.value)) found.push(`javascript: URL on <${element.localName}>`);
                }
              }
              return found;
            }
            """, html);

        Assert.Empty(inline);
        Assert.Contains("<script src=\"/api/console/signalr.min.js\"", html, StringComparison.Ordinal);
        console.AssertNoProblems();
    }

    public void Dispose() => errorLogs.AssertNoUnexpectedErrors();

    private static string Csp(HttpResponseMessage response)
        => string.Join(";", response.Headers.GetValues("Content-Security-Policy"));

    private static void AssertSecurityHeaders(HttpResponseMessage response)
    {
        var csp = Csp(response).Split(';', StringSplitOptions.TrimEntries);
        Assert.All(Directives, d => Assert.Contains(d, csp));
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
    }
}
