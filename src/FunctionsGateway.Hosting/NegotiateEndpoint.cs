using FunctionsGateway.Core.Pairing;
using FunctionsGateway.SignalR.Serverless;
using FunctionsGateway.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Hosting;

/// <summary><c>POST /api/negotiate</c>: exactly <c>{url, accessToken}</c>; the device proves who it is at admission (connect).</summary>
public sealed partial class NegotiateEndpoint(NegotiateResponseFactory factory, ILogger<NegotiateEndpoint> logger)
{
    public const int KeyUnavailableStatus = 503;
    public const string KeyUnavailableMessage = "the SignalR service's signing key is unavailable; retry later";

    /// <summary>
    /// An opaque per-connection user id: identity comes from the signed connect, not from negotiate. It carries the
    /// address this request came from (<see cref="ClientAddress"/>), which the service repeats with every message, so
    /// pending pairing requests can be capped per client address. In Azure the Functions host sets that address from
    /// the platform front end's <c>X-Forwarded-For</c>; the local host takes the socket's peer.
    /// Under Entra ID the token is signed with the service's temporary key; without a valid one the answer is 503
    /// <c>SIGNALR_KEY_UNAVAILABLE</c>, never a 500.
    /// </summary>
    public async Task<HttpReply> HandleAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        NegotiateResponse response;
        try
        {
            var userId = ClientAddress.NewUserId(request.HttpContext.Connection.RemoteIpAddress);
            response = await factory.CreateAsync(GatewayProtocol.Hub, userId, cancellationToken: cancellationToken);
        }
        catch (SignalRKeyUnavailableException ex)
        {
            // The key source has logged why at Warning; one line per refused negotiate would flood.
            LogKeyUnavailable(logger, ex.Reason);
            return KeyUnavailable(ex.RetryAfter);
        }

        return new HttpReply(200, "application/json; charset=utf-8", response.ToJsonUtf8Bytes());
    }

    /// <summary>503 <c>{error{code:"UNAVAILABLE", message, details{code:"SIGNALR_KEY_UNAVAILABLE", retryAfterMs}}}</c> with <c>Retry-After</c>.</summary>
    public static HttpReply KeyUnavailable(TimeSpan retryAfter)
    {
        var retryAfterMs = (long)Math.Ceiling(Math.Max(retryAfter.TotalMilliseconds, 1));
        var error = new GatewayError(ErrorCodes.Unavailable, KeyUnavailableMessage, new ErrorDetails(DetailCodes.SignalRKeyUnavailable, new { retryAfterMs }));
        var json = HttpReply.Json(KeyUnavailableStatus, new { error });
        return new HttpReply(json.Status, json.ContentType, json.Body) { RetryAfter = TimeSpan.FromMilliseconds(retryAfterMs) };
    }

    [LoggerMessage(EventId = 1195, Level = LogLevel.Debug, Message = "negotiate answered 503: no valid SignalR signing key ({Reason})")]
    private static partial void LogKeyUnavailable(ILogger logger, string reason);
}
