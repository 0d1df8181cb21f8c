using System.Net.Http.Headers;
using FunctionsGateway.SignalR.Serverless;

namespace FunctionsGateway.LocalHost.ServiceEmulation;

public sealed record UpstreamReply(int Status, byte[] Body);

/// <summary>Calls the app's upstream URL over HTTP exactly as the service does: one POST per event, X-ASRS-* headers, signed.</summary>
internal sealed class UpstreamForwarder(HttpClient http, Uri upstreamUrl, string accessKey)
{
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

    private async Task<UpstreamReply> PostAsync(LocalConnection connection, string category, string eventName, ReadOnlyMemory<byte> body, HubProtocolKind protocol, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url)
        {
            Content = new ReadOnlyMemoryContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(HubProtocolContentType.ToContentType(protocol));
        request.Headers.Add(UpstreamHeaders.ConnectionIdHeader, connection.ConnectionId);
        request.Headers.Add(UpstreamHeaders.HubHeader, connection.Hub);
        request.Headers.Add(UpstreamHeaders.CategoryHeader, category);
        request.Headers.Add(UpstreamHeaders.EventHeader, eventName);
        if (connection.UserId is not null)
        {
            request.Headers.Add(UpstreamHeaders.UserIdHeader, connection.UserId);
        }

        request.Headers.Add(UpstreamHeaders.SignatureHeader, UpstreamSignature.Compute(accessKey, connection.ConnectionId));
        using var response = await http.SendAsync(request, cancellationToken);
        return new UpstreamReply((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync(cancellationToken));
    }
}
