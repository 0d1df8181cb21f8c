using System.Text;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Pairing;

/// <summary>A page of <c>device.pair.list</c> / <c>GET admin/pairing</c>: both lists, and where the next page starts.</summary>
public sealed record PairingListPage(IReadOnlyList<PendingRequestView> Pending, IReadOnlyList<PairedDeviceView> Paired, string? Next);

/// <summary>
/// Paging of the pairing lists (docs/protocol.md §4.5): <c>limit</c> items of each list per page, and an opaque
/// <c>next</c> that carries both positions. Each list is read in key order from its position, so a page costs one range
/// query per list however many requests or devices there are.
/// </summary>
public sealed class PairingPaging(PairingRequests requests, DeviceDirectory directory)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 500;

    /// <summary>A page with details reads one partition per paired device listed, so it takes fewer at once.</summary>
    public const int MaxDetailedLimit = 100;

    private const string Version = "1";
    private const string Done = "-";

    /// <summary>
    /// One page; <paramref name="onlyPairedDeviceId"/> narrows the paired list to one device (a non-admin caller), and
    /// <paramref name="details"/> adds each paired device's last use, tokens and connections.
    /// </summary>
    public async Task<(PairingListPage? Page, GatewayResponse? Error)> ListAsync(string? onlyPairedDeviceId, int? limit, string? next, bool details,
        CancellationToken cancellationToken)
    {
        var max = details ? MaxDetailedLimit : MaxLimit;
        if (limit is < 1 || limit > max)
        {
            return (null, GatewayResponse.Invalid($"limit must be 1..{max}" + (details ? " with details" : string.Empty), DetailCodes.InvalidParams, new { field = "limit" }));
        }

        if (!TryParse(next, out var pendingAfter, out var pairedAfter))
        {
            return (null, GatewayResponse.Invalid("next is not a position this gateway issued; start again without it", DetailCodes.InvalidParams, new { field = "next" }));
        }

        var take = limit ?? DefaultLimit;
        var pending = pendingAfter == Done ? new ListPage<PendingRequestView>([], null) : await requests.ListPageAsync(take, pendingAfter, cancellationToken);
        var paired = pairedAfter == Done ? new ListPage<PairedDeviceView>([], null) : await directory.ListPageAsync(onlyPairedDeviceId, take, pairedAfter, details, cancellationToken);
        return (new PairingListPage(pending.Items, paired.Items, Encode(pending.Next, paired.Next)), null);
    }

    /// <summary>Null once both lists are done; else both positions, opaque to callers.</summary>
    private static string? Encode(string? pendingAfter, string? pairedAfter)
        => pendingAfter is null && pairedAfter is null
            ? null
            : Base64Url.Encode(Encoding.ASCII.GetBytes(string.Join('|', Version, pendingAfter ?? Done, pairedAfter ?? Done)));

    /// <summary>A missing cursor starts both lists (null positions); a malformed one is refused, never passed to storage.</summary>
    private static bool TryParse(string? next, out string? pendingAfter, out string? pairedAfter)
    {
        pendingAfter = null;
        pairedAfter = null;
        if (string.IsNullOrEmpty(next))
        {
            return true;
        }

        if (next.Length > 256 || !Base64Url.TryDecode(next, out var bytes))
        {
            return false;
        }

        var parts = Encoding.ASCII.GetString(bytes).Split('|');
        if (parts is not [Version, var p, var d] || (p == Done && d == Done)
            || (p != Done && !IsHex(p, 32)) || (d != Done && !DeviceIdentity.IsDeviceId(d)))
        {
            return false;
        }

        pendingAfter = p;
        pairedAfter = d;
        return true;
    }

    private static bool IsHex(string value, int length) => value.Length == length && value.All(char.IsAsciiHexDigitLower);
}
