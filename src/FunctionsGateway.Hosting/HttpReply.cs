using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace FunctionsGateway.Hosting;

/// <summary>
/// A finished HTTP answer that both hosts can return: an <see cref="IActionResult"/> for the Function App and an
/// <see cref="IResult"/> for the local host, so the handlers behind them are shared.
/// </summary>
public sealed class HttpReply(int status, string? contentType = null, ReadOnlyMemory<byte> body = default) : IResult, IActionResult
{
    public int Status { get; } = status;
    public string? ContentType { get; } = contentType;
    public ReadOnlyMemory<byte> Body { get; } = body;

    /// <summary>Sent as <c>Retry-After</c> (whole seconds, rounded up) when set: how soon a 503 is worth retrying.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Further response headers (the console's security and caching headers), written before the body.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Headers { get; init; }

    public static HttpReply Empty(int status) => new(status);

    public static HttpReply Json(int status, object value)
        => new(status, "application/json; charset=utf-8", System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(value, Protocol.GatewayJson.Options));

    public static HttpReply Text(int status, string message) => new(status, "text/plain; charset=utf-8", System.Text.Encoding.UTF8.GetBytes(message));

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = Status;
        if (ContentType is not null)
        {
            response.ContentType = ContentType;
        }

        if (RetryAfter is { } retryAfter)
        {
            response.Headers.RetryAfter = ((long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (Headers is not null)
        {
            foreach (var (name, value) in Headers)
            {
                response.Headers[name] = value;
            }
        }

        if (!Body.IsEmpty)
        {
            response.ContentLength = Body.Length;
            await response.Body.WriteAsync(Body, httpContext.RequestAborted);
        }
    }

    public Task ExecuteResultAsync(ActionContext context) => ExecuteAsync(context.HttpContext);
}
