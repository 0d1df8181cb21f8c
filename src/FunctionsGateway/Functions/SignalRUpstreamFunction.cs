using FunctionsGateway.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsGateway.Functions;

/// <summary>
/// Every SignalR upstream event (connected, disconnected, each <c>req</c> invocation). Anonymous to the Functions host:
/// a keyless deployment has no function key to put in the service's upstream URL, so the handler's own check is the
/// gate (<c>X-ASRS-Signature</c> with the access key, or the service identity's Entra bearer token).
/// </summary>
public sealed class SignalRUpstreamFunction(UpstreamEndpoint handler)
{
    [Function(nameof(SignalRUpstreamFunction))]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = GatewayRoutes.Upstream)] HttpRequest request,
        CancellationToken cancellationToken)
        => await handler.HandleAsync(request, cancellationToken);
}
