using System.Net.Http.Headers;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace FunctionsGateway.SignalR.Serverless;

/// <summary>
/// One REST request of <see cref="SignalRRestClient"/>, authenticated and sent; the answer's status and
/// <c>x-ms-error-code</c>. A transport failure surfaces as <see cref="HttpRequestException"/> (or a timeout's
/// <see cref="TaskCanceledException"/>), which the client's retry rules know.
/// </summary>
internal interface IRestTransport
{
    Task<(int Status, string? ErrorCode)> SendAsync(string operation, HttpMethod method, Uri uri, string audience, byte[]? body, CancellationToken cancellationToken);
}

internal static class RestHeaders
{
    public const string ErrorCode = "x-ms-error-code";
    public const string Json = "application/json";
}

/// <summary>Access-key mode: a locally signed JWT for the call's audience, over a plain <see cref="HttpClient"/>.</summary>
internal sealed class HttpClientRestTransport : IRestTransport
{
    private static readonly MediaTypeHeaderValue s_json = new(RestHeaders.Json);
    private readonly HttpClient _httpClient;
    private readonly IServiceTokenSource _tokens;

    public HttpClientRestTransport(HttpClient httpClient, IServiceTokenSource tokens)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(tokens);
        _httpClient = httpClient;
        _tokens = tokens;
    }

    public async Task<(int Status, string? ErrorCode)> SendAsync(string operation, HttpMethod method, Uri uri, string audience, byte[]? body, CancellationToken cancellationToken)
    {
        var token = await _tokens.GetAccessTokenAsync(audience, cancellationToken);
        using var request = new HttpRequestMessage(method, uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = s_json;
        }

        using var response = await _httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var code = response.Headers.TryGetValues(RestHeaders.ErrorCode, out var values) ? values.FirstOrDefault() : null;
        return ((int)response.StatusCode, code);
    }
}

/// <summary>Entra mode: the Azure.Core pipeline's bearer policy adds the Entra token (the audience is not used).</summary>
internal sealed class PipelineRestTransport : IRestTransport
{
    private readonly HttpPipeline _pipeline;

    public PipelineRestTransport(HttpPipeline pipeline)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        _pipeline = pipeline;
    }

    public async Task<(int Status, string? ErrorCode)> SendAsync(string operation, HttpMethod method, Uri uri, string audience, byte[]? body, CancellationToken cancellationToken)
    {
        using var request = _pipeline.CreateRequest();
        request.Method = RequestMethod.Parse(method.Method);
        request.Uri.Reset(uri);
        if (body is not null)
        {
            request.Content = RequestContent.Create(body);
            request.Headers.SetValue(HttpHeader.Names.ContentType, RestHeaders.Json);
        }

        Response response;
        try
        {
            response = await _pipeline.SendRequestAsync(request, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 0)
        {
            // Azure.Core wraps a transport failure; unwrapped, the client's retry rules apply to it as to HttpClient's.
            throw new HttpRequestException(ex.Message, ex.InnerException ?? ex);
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or HttpRequestException))
        {
            // No token (the credential failed) or the policy refused the request: not a transport fault, never retried.
            throw new SignalRServiceException(operation, $"{ex.GetType().Name}: {ex.Message}", ex);
        }

        using (response)
        {
            return (response.Status, response.Headers.TryGetValue(RestHeaders.ErrorCode, out var code) ? code : null);
        }
    }
}
