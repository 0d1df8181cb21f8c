using FunctionsGateway.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsGateway.Functions;

/// <summary><c>POST /api/negotiate</c> → <c>{url, accessToken}</c> for the SignalR client to follow.</summary>
public sealed class NegotiateFunction(NegotiateEndpoint handler)
{
    [Function(nameof(NegotiateFunction))]
    public async Task<IActionResult> Run([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = GatewayRoutes.Negotiate)] HttpRequest request)
        => await handler.HandleAsync(request, request.HttpContext.RequestAborted);
}
