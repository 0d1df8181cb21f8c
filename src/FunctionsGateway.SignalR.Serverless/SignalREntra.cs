using Azure.Core;
using Azure.Core.Pipeline;

namespace FunctionsGateway.SignalR.Serverless;

/// <summary>Talking to the service under Microsoft Entra ID: the token scope and the HTTP pipeline that carries it.</summary>
public static class SignalREntra
{
    /// <summary>The scope of every Entra token the service accepts (REST calls and the temporary-key fetch).</summary>
    public const string Scope = "https://signalr.azure.com/.default";

    /// <summary>
    /// A pipeline over <paramref name="httpClient"/> whose one policy adds <c>Authorization: Bearer</c> for <see cref="Scope"/>
    /// (Azure.Core caches and refreshes the token). It has no retry policy: callers keep their own retry rules.
    /// The bearer policy refuses plain-http URLs.
    /// </summary>
    public static HttpPipeline CreatePipeline(HttpClient httpClient, TokenCredential credential)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(credential);
        return new HttpPipeline(new HttpClientTransport(httpClient), [new BearerTokenAuthenticationPolicy(credential, Scope)]);
    }
}
