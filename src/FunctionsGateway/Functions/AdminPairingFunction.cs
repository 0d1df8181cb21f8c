using FunctionsGateway.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsGateway.Functions;

/// <summary>
/// The admin pairing API; the Functions host checks the function key (<c>x-functions-key</c>). The routes run under the
/// storage deadline, as in the local host (<see cref="AdminPairingApi"/>).
/// </summary>
public sealed class AdminPairingFunction(AdminPairingApi handler)
{
    [Function("AdminPairingList")]
    public async Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = GatewayRoutes.AdminPairingList)] HttpRequest request,
        CancellationToken cancellationToken)
        => await handler.ListAsync(request, cancellationToken);

    [Function("AdminPairingApprove")]
    public async Task<IActionResult> Approve(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = GatewayRoutes.AdminPairingApprove)] HttpRequest request,
        string requestId,
        CancellationToken cancellationToken)
        => await handler.ApproveAsync(requestId, cancellationToken);

    [Function("AdminPairingReject")]
    public async Task<IActionResult> Reject(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = GatewayRoutes.AdminPairingReject)] HttpRequest request,
        string requestId,
        CancellationToken cancellationToken)
        => await handler.RejectAsync(requestId, cancellationToken);
}
