using FunctionsGateway.Protocol;
using FunctionsGateway.SignalR.Serverless;
using Microsoft.AspNetCore.Http;

namespace FunctionsGateway.Hosting;

/// <summary>
/// <c>GET /api/console</c> (the page) and <c>GET /api/console/{asset}</c> (its files), from <see cref="ConsoleAssets"/>.
/// Same origin as <c>negotiate</c>, so no CORS. Every answer, a 404 included, carries a strict Content-Security-Policy:
/// no inline script or style, and connections only to this origin and to the SignalR service the negotiate answer sends
/// clients to (in Azure another origin; <see cref="BuildPolicy"/>). Files are revalidated on every load
/// (<c>no-cache</c> with a strong ETag), so a deployment is picked up at once and an unchanged file costs a 304.
/// </summary>
public sealed class ConsoleEndpoint
{
    public const string AssetParameter = "asset";

    /// <summary><c>error.details.code</c> of the 404 for a name that is not one of the console's files.</summary>
    public const string AssetNotFoundCode = "CONSOLE_ASSET_NOT_FOUND";

    public const string CacheControl = "no-cache";

    private readonly KeyValuePair<string, string>[] _securityHeaders;

    public ConsoleEndpoint(NegotiateResponseFactory negotiate)
        : this(new Uri(negotiate.GetClientUrl(GatewayProtocol.Hub)))
    {
    }

    internal ConsoleEndpoint(Uri signalRClientUrl)
    {
        ContentSecurityPolicy = BuildPolicy(signalRClientUrl);
        _securityHeaders =
        [
            new("Content-Security-Policy", ContentSecurityPolicy),
            new("X-Content-Type-Options", "nosniff"),
            new("Referrer-Policy", "no-referrer"),
        ];
    }

    public string ContentSecurityPolicy { get; }

    /// <summary>
    /// The policy for a console whose SignalR client is sent to <paramref name="signalRClientUrl"/> by negotiate:
    /// <c>connect-src</c> names that URL's origin for HTTP (the client's negotiate, and the fallback transports) and for
    /// WebSockets (<c>ws</c> for <c>http</c>, <c>wss</c> for <c>https</c>), and nothing else beyond <c>'self'</c>.
    /// </summary>
    public static string BuildPolicy(Uri signalRClientUrl)
    {
        ArgumentNullException.ThrowIfNull(signalRClientUrl);
        var origin = signalRClientUrl.GetLeftPart(UriPartial.Authority);
        var socketScheme = string.Equals(signalRClientUrl.Scheme, Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase) ? "wss" : "ws";
        var socketOrigin = socketScheme + origin[signalRClientUrl.Scheme.Length..];
        return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + $"connect-src 'self' {origin} {socketOrigin}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    }

    /// <summary>Serves <paramref name="asset"/> (the page when it is empty); 404 JSON for any other name.</summary>
    public HttpReply Handle(HttpRequest request, string? asset)
    {
        ArgumentNullException.ThrowIfNull(request);
        var name = string.IsNullOrEmpty(asset) ? ConsoleAssets.Index : asset;
        if (!ConsoleAssets.All.TryGetValue(name, out var file))
        {
            var error = new GatewayError(ErrorCodes.InvalidRequest, "no such console file", new ErrorDetails(AssetNotFoundCode));
            var json = HttpReply.Json(404, new { error });
            return new HttpReply(json.Status, json.ContentType, json.Body) { Headers = [.. _securityHeaders, new("Cache-Control", "no-store")] };
        }

        KeyValuePair<string, string>[] headers = [.. _securityHeaders, new("Cache-Control", CacheControl), new("ETag", file.ETag)];
        return Matches(request.Headers.IfNoneMatch, file.ETag)
            ? new HttpReply(304) { Headers = headers }
            : new HttpReply(200, file.ContentType, file.Body) { Headers = headers };
    }

    private static bool Matches(Microsoft.Extensions.Primitives.StringValues ifNoneMatch, string etag)
    {
        foreach (var value in ifNoneMatch)
        {
            foreach (var tag in (value ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (tag == "*" || string.Equals(tag, etag, StringComparison.Ordinal) || string.Equals(tag, "W/" + etag, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
