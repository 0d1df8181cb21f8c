using FunctionsGateway.SignalR.Serverless;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Hosting;

/// <summary><c>POST /api/negotiate</c>: exactly <c>{url, accessToken}</c>; the device proves who it is at admission (connect).</summary>
public sealed class NegotiateEndpoint(NegotiateResponseFactory factory)
{
    public HttpReply Handle()
    {
        // An opaque per-connection user id: identity comes from the signed connect, not from negotiate.
        var response = factory.Create(GatewayProtocol.Hub, "anon-" + Guid.NewGuid().ToString("N"));
        return new HttpReply(200, "application/json; charset=utf-8", response.ToJsonUtf8Bytes());
    }
}
