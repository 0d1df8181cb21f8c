using FunctionsGateway.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsGateway.Functions;

/// <summary>
/// Every SignalR upstream event (connected, disconnected, each <c>req</c> invocation). The service's upstream URL
/// template carries a function key (<c>?code=</c>); the handler also checks <c>X-ASRS-Signature</c>.
/// </summary>
public sealed class SignalRUpstreamFunction(UpstreamEndpoint handler)
{
    [Function(nameof(SignalRUpstreamFunction))]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = GatewayRoutes.Upstream)] HttpRequest request,
        CancellationToken cancellationToken)
        => await handler.HandleAsync(request, cancellationToken);
}
