using FunctionsGateway.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsGateway.Functions;

/// <summary><c>GET /api/console[/{asset}]</c>: the operator console's page and files, same origin as negotiate.</summary>
public sealed class ConsoleFunction(ConsoleEndpoint handler)
{
    [Function(nameof(ConsoleFunction))]
    public IActionResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = GatewayRoutes.ConsoleAsset)] HttpRequest request, string? asset)
        => handler.Handle(request, asset);
}
