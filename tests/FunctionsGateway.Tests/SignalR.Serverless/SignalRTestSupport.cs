using System.Buffers.Text;
using System.Net;
using System.Text;
using System.Text.Json;

namespace FunctionsGateway.Tests.SignalR.Serverless;

internal static class SignalRVectors
{
    private static readonly Lazy<JsonDocument> s_document = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(RepoPaths.Vector("device-auth-v3.json"))));

    public static IEnumerable<(string AccessKey, string ConnectionId, string Signature)> UpstreamSignatures()
    {
        foreach (var v in s_document.Value.RootElement.GetProperty("upstreamSignature").EnumerateArray())
        {
            yield return (v.GetProperty("accessKey").GetString()!, v.GetProperty("connectionId").GetString()!, v.GetProperty("signature").GetString()!);
        }
    }
}

internal static class Jwt
{
    public static JsonElement Header(string token) => Decode(token.Split('.')[0]);

    public static JsonElement Payload(string token) => Decode(token.Split('.')[1]);

    public static string HeaderText(string token) => Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token.Split('.')[0]));

    public static string Encode(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));

    private static JsonElement Decode(string segment) => JsonDocument.Parse(Base64Url.DecodeFromChars(segment)).RootElement.Clone();
}

internal sealed record RecordedRequest(HttpMethod Method, Uri Uri, string? BearerToken, string? ContentType, byte[]? Body)
{
    public string BodyText => Body is null ? string.Empty : Encoding.UTF8.GetString(Body);

    // Uri.ToString() unescapes; the original string is what went on the wire.
    public string Url => Uri.OriginalString;
}

// Records every request and answers from a queue of scripted responses (then the fallback).
internal sealed class RecordingHandler : HttpMessageHandler
{
    private readonly Queue<Func<HttpResponseMessage>> _script = new();

    public List<RecordedRequest> Requests { get; } = [];

    public HttpStatusCode Fallback { get; set; } = HttpStatusCode.Accepted;

    public RecordingHandler Then(int status, string? errorCode = null)
    {
        _script.Enqueue(() =>
        {
            var response = new HttpResponseMessage((HttpStatusCode)status);
            if (errorCode is not null)
            {
                response.Headers.TryAddWithoutValidation("x-ms-error-code", errorCode);
            }

            return response;
        });
        return this;
    }

    public RecordingHandler ThenThrow(Exception exception)
    {
        _script.Enqueue(() => throw exception);
        return this;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        Requests.Add(new RecordedRequest(
            request.Method,
            request.RequestUri!,
            request.Headers.Authorization?.Scheme == "Bearer" ? request.Headers.Authorization.Parameter : null,
            request.Content?.Headers.ContentType?.ToString(),
            body));
        return _script.Count > 0 ? _script.Dequeue()() : new HttpResponseMessage(Fallback);
    }
}

internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
