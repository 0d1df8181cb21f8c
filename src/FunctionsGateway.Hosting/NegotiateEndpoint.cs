using FunctionsGateway.Core.Pairing;
using FunctionsGateway.SignalR.Serverless;
using FunctionsGateway.Protocol;
using Microsoft.AspNetCore.Http;

namespace FunctionsGateway.Hosting;

/// <summary><c>POST /api/negotiate</c>: exactly <c>{url, accessToken}</c>; the device proves who it is at admission (connect).</summary>
public sealed class NegotiateEndpoint(NegotiateResponseFactory factory)
{
    /// <summary>
    /// An opaque per-connection user id: identity comes from the signed connect, not from negotiate. It carries the
    /// address this request came from (<see cref="ClientAddress"/>), which the service repeats with every message, so
    /// pending pairing requests can be capped per client address. In Azure the Functions host sets that address from
    /// the platform front end's <c>X-Forwarded-For</c>; the local host takes the socket's peer.
    /// </summary>
    public HttpReply Handle(HttpRequest request)
    {
        var response = factory.Create(GatewayProtocol.Hub, ClientAddress.NewUserId(request.HttpContext.Connection.RemoteIpAddress));
        return new HttpReply(200, "application/json; charset=utf-8", response.ToJsonUtf8Bytes());
    }
}
