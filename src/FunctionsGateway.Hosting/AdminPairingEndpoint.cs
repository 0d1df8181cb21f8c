using System.Globalization;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Protocol;
using Microsoft.AspNetCore.Http;

namespace FunctionsGateway.Hosting;

/// <summary>
/// The admin HTTP API behind a function key (docs/protocol.md §6.6): how the very first admin device gets approved.
/// The key itself is checked by the host (Azure Functions, or the local host's own check).
/// </summary>
public sealed class AdminPairingEndpoint(PairingPaging paging, PairingDecisions decisions)
{
    public const string ListRoute = "admin/pairing";
    public const string ApproveRoute = "admin/pairing/{requestId}/approve";
    public const string RejectRoute = "admin/pairing/{requestId}/reject";

    /// <summary><c>GET admin/pairing?limit=&amp;next=</c>: a page of pending requests and paired devices; no query is the first page.</summary>
    public async Task<HttpReply> ListAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        int? limit = null;
        var limitText = request.Query["limit"].ToString();
        if (limitText.Length > 0)
        {
            if (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                return ToReply(GatewayResponse.Invalid($"limit must be 1..{PairingPaging.MaxLimit}", DetailCodes.InvalidParams, new { field = "limit" }));
            }

            limit = parsed;
        }

        var next = request.Query["next"].ToString();
        var (page, error) = await paging.ListAsync(null, limit, next.Length > 0 ? next : null, details: false, cancellationToken);
        return error is null ? HttpReply.Json(200, page!) : ToReply(error);
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
            DetailCodes.RequestExpired or DetailCodes.RequestResolved or DetailCodes.ConcurrentUpdate => 409,
            _ => 400,
        };
        return HttpReply.Json(status, new { error = response.Error });
    }
}
