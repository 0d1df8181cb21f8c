using System.Collections.Concurrent;
using System.Net.Http.Headers;
using FunctionsGateway.SignalR.Serverless;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.IntegrationTests.Infrastructure;

/// <summary>
/// Sits between the local SignalR service and the gateway's upstream route and passes every event on unchanged, except
/// the <c>disconnected</c> event of a connection the test chose to lose: that one is answered 200 and never reaches the
/// gateway, as when the gateway is down at the moment a client goes away. It keeps what passed through, for tests that
/// need to know what was on the wire.
/// </summary>
public sealed class UpstreamTap : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly Uri target;
    private readonly HttpClient http = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> losing = new();

    private UpstreamTap(WebApplication app, Uri url, Uri target)
    {
        this.app = app;
        Url = url;
        this.target = target;
    }

    /// <summary>Where the local service should post its events (its <c>LocalHost:UpstreamUrl</c>).</summary>
    public Uri Url { get; }

    /// <summary>Every request body it passed on, with the gateway's answer, in order.</summary>
    public ConcurrentQueue<(byte[] Request, byte[] Answer)> Exchanges { get; } = new();

    public static async Task<UpstreamTap> StartAsync(Uri target)
    {
        var url = new Uri($"http://127.0.0.1:{LocalHostFixture.FreePort()}/");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url.ToString().TrimEnd('/'));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var tap = new UpstreamTap(app, url, target);
        app.MapPost("/", tap.ForwardAsync);
        await app.StartAsync();
        return tap;
    }

    /// <summary>The next <c>disconnected</c> event of <paramref name="connectionId"/> is lost; the task completes when it was.</summary>
    public Task LoseDisconnectOf(string connectionId)
        => losing.GetOrAdd(connectionId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    private async Task ForwardAsync(HttpContext context)
    {
        var request = context.Request;
        var connectionId = request.Headers[UpstreamHeaders.ConnectionIdHeader].ToString();
        if (request.Headers[UpstreamHeaders.EventHeader] == UpstreamHeaders.DisconnectedEvent && losing.TryGetValue(connectionId, out var lost))
        {
            lost.TrySetResult();
            context.Response.StatusCode = StatusCodes.Status200OK;
            return;
        }

        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, context.RequestAborted);
        using var forward = new HttpRequestMessage(HttpMethod.Post, target) { Content = new ByteArrayContent(body.ToArray()) };
        if (request.ContentType is { } contentType)
        {
            forward.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        foreach (var header in request.Headers.Where(h => h.Key.StartsWith("X-ASRS-", StringComparison.OrdinalIgnoreCase)))
        {
            forward.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string?>)header.Value);
        }

        using var response = await http.SendAsync(forward, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        if (response.Content.Headers.ContentType is { } answerType)
        {
            context.Response.ContentType = answerType.ToString();
        }

        var answer = await response.Content.ReadAsByteArrayAsync(context.RequestAborted);
        Exchanges.Enqueue((body.ToArray(), answer));
        await context.Response.Body.WriteAsync(answer, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        http.Dispose();
    }
}
