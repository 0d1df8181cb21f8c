using System.Net.Http.Headers;
using FunctionsGateway.Hosting;
using FunctionsGateway.SignalR.Serverless;

namespace FunctionsGateway.LocalHost.ServiceEmulation;

public sealed record UpstreamReply(int Status, byte[] Body);

/// <summary>
/// Calls the app's upstream exactly as the service does: one request per event, X-ASRS-* headers, signed. When the
/// upstream is another app (<c>LocalHost:UpstreamUrl</c>) that request is an HTTP POST; when it is this app's own
/// handler (the default), the same request is handed to it in process (<paramref name="inProcess"/>), which spares
/// each call a loopback HTTP round trip on both of its ends and changes nothing the handler sees or answers.
/// </summary>
internal sealed class UpstreamForwarder(HttpClient http, Uri upstreamUrl, string accessKey, UpstreamForwarder.InProcessHandler? inProcess = null)
{
    /// <summary>This app's upstream handler, for a request built in memory.</summary>
    public delegate Task<HttpReply> InProcessHandler(HttpRequest request, CancellationToken cancellationToken);

    private static readonly byte[] ConnectedBody = "{\"type\":10}"u8.ToArray();

    public Uri Url { get; } = upstreamUrl;

    public Task<UpstreamReply> ConnectedAsync(LocalConnection connection, CancellationToken cancellationToken)
        => PostAsync(connection, "connections", UpstreamHeaders.ConnectedEvent, ConnectedBody, HubProtocolKind.Json, cancellationToken);

    public Task<UpstreamReply> DisconnectedAsync(LocalConnection connection, string? error, CancellationToken cancellationToken)
    {
        var body = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new { type = 11, error });
        return PostAsync(connection, "connections", UpstreamHeaders.DisconnectedEvent, body, HubProtocolKind.Json, cancellationToken);
    }

    public Task<UpstreamReply> MessageAsync(LocalConnection connection, string target, ReadOnlyMemory<byte> unframedInvocation, CancellationToken cancellationToken)
        => PostAsync(connection, "messages", target, unframedInvocation, connection.Protocol, cancellationToken);

    private Task<UpstreamReply> PostAsync(LocalConnection connection, string category, string eventName, ReadOnlyMemory<byte> body, HubProtocolKind protocol, CancellationToken cancellationToken)
    {
        var headers = new List<KeyValuePair<string, string>>(6)
        {
            new(UpstreamHeaders.ConnectionIdHeader, connection.ConnectionId),
            new(UpstreamHeaders.HubHeader, connection.Hub),
            new(UpstreamHeaders.CategoryHeader, category),
            new(UpstreamHeaders.EventHeader, eventName),
        };
        if (connection.UserId is not null)
        {
            headers.Add(new(UpstreamHeaders.UserIdHeader, connection.UserId));
        }

        headers.Add(new(UpstreamHeaders.SignatureHeader, UpstreamSignature.Compute(accessKey, connection.ConnectionId)));
        var contentType = HubProtocolContentType.ToContentType(protocol);
        return inProcess is null
            ? SendAsync(headers, contentType, body, cancellationToken)
            : HandInAsync(inProcess, headers, contentType, body, cancellationToken);
    }

    private async Task<UpstreamReply> SendAsync(List<KeyValuePair<string, string>> headers, string contentType, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url)
        {
            Content = new ReadOnlyMemoryContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }

        using var response = await http.SendAsync(request, cancellationToken);
        return new UpstreamReply((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync(cancellationToken));
    }

    /// <summary>The request the handler would have read off the wire: method, path, headers, content type and length, body.</summary>
    private async Task<UpstreamReply> HandInAsync(InProcessHandler handler, List<KeyValuePair<string, string>> headers, string contentType, ReadOnlyMemory<byte> body,
        CancellationToken cancellationToken)
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = HttpMethods.Post;
        request.Scheme = Url.Scheme;
        request.Host = new HostString(Url.Authority);
        request.Path = Url.AbsolutePath;
        foreach (var (name, value) in headers)
        {
            request.Headers[name] = value;
        }

        request.ContentType = contentType;
        request.ContentLength = body.Length;
        request.Body = new MemoryStream(body.ToArray(), writable: false);

        // A trace of its own, as each upstream request is one in Azure (LocalGatewayApp does the same for HTTP).
        System.Diagnostics.Activity.Current = null;
        var reply = await handler(request, cancellationToken);
        return new UpstreamReply(reply.Status, reply.Body.ToArray());
    }
}
