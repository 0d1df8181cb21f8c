using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Hosting;

/// <summary>
/// The admin HTTP API behind a function key (docs/protocol.md §6.6): how the very first admin device gets approved.
/// The key itself is checked by the host (Azure Functions, or the local host's own check).
/// </summary>
public sealed class AdminPairingEndpoint(PairingRequests requests, PairingDecisions decisions, DeviceDirectory directory)
{
    public const string ListRoute = "admin/pairing";
    public const string ApproveRoute = "admin/pairing/{requestId}/approve";
    public const string RejectRoute = "admin/pairing/{requestId}/reject";

    public async Task<HttpReply> ListAsync(CancellationToken cancellationToken)
    {
        var pending = await requests.ListAsync(null, cancellationToken);
        var paired = await directory.ListAsync(null, cancellationToken);
        return HttpReply.Json(200, new { pending, paired });
    }

    public async Task<HttpReply> ApproveAsync(string requestId, CancellationToken cancellationToken)
        => ToReply(await decisions.ApproveAsync(requestId, PairingActor.AdminApi, cancellationToken));

    public async Task<HttpReply> RejectAsync(string requestId, CancellationToken cancellationToken)
        => ToReply(await decisions.RejectAsync(requestId, PairingActor.AdminApi, cancellationToken));

    private static HttpReply ToReply(GatewayResponse response)
    {
        if (response.Ok)
        {
            return HttpReply.Json(200, response.Payload!);
        }

        var detail = (response.Error?.Details as ErrorDetails)?.Code;
        var status = detail switch
        {
            DetailCodes.RequestNotFound => 404,
            DetailCodes.RequestExpired or DetailCodes.ConcurrentUpdate => 409,
            _ => 400,
        };
        return HttpReply.Json(status, new { error = response.Error });
    }
}
