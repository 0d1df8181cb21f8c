using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace FunctionsGateway.Core.Pairing;

/// <summary>
/// The client address a pending request is counted under. Azure SignalR's upstream passes no client address with a
/// message, only the user id of the access token negotiate issued (<c>X-ASRS-User-Id</c>). So negotiate, which does see
/// the client's address, writes it into that opaque user id: <c>anon-{32 hex}@{key}</c>. Only the gateway can sign a
/// token, so the key a message arrives with is the one negotiate saw.
/// </summary>
public static class ClientAddress
{
    private const string Prefix = "anon-";
    private const char Separator = '@';
    private const string V4 = "v4-";
    private const string V6 = "v6-";
    private static readonly SearchValues<char> HexDigits = SearchValues.Create("0123456789abcdef");

    /// <summary>A fresh per-connection user id carrying the address key, when there is one.</summary>
    public static string NewUserId(IPAddress? address)
        => Prefix + Guid.NewGuid().ToString("N") + (Key(address) is { } key ? Separator + key : string.Empty);

    /// <summary>The address key of a user id negotiate issued; null when it carries none (or is not in that form).</summary>
    public static string? FromUserId(string? userId)
    {
        if (userId is null || !userId.StartsWith(Prefix, StringComparison.Ordinal) || userId.Length <= Prefix.Length + 33
            || userId[Prefix.Length + 32] != Separator || userId.AsSpan(Prefix.Length, 32).ContainsAnyExcept(HexDigits))
        {
            return null;
        }

        var key = userId[(Prefix.Length + 33)..];
        return IsKey(key) ? key : null;
    }

    /// <summary>
    /// <c>v4-a.b.c.d</c>, or <c>v6-</c> and the 16 hex digits of the /64 prefix (one client usually holds a whole /64).
    /// Null for no address, and for loopback: every client of a host behind a local proxy shares it, so it tells them
    /// apart no better than the gateway-wide cap does.
    /// </summary>
    public static string? Key(IPAddress? address)
    {
        if (address is null || IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
            if (IPAddress.IsLoopback(address))
            {
                return null;
            }
        }

        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => V4 + address,
            AddressFamily.InterNetworkV6 => V6 + Convert.ToHexStringLower(address.GetAddressBytes(), 0, 8),
            _ => null,
        };
    }

    private static bool IsKey(string key)
    {
        if (key.StartsWith(V4, StringComparison.Ordinal))
        {
            var text = key[V4.Length..];
            return IPAddress.TryParse(text, out var ip) && ip.AddressFamily == AddressFamily.InterNetwork && ip.ToString() == text;
        }

        return key.Length == V6.Length + 16 && key.StartsWith(V6, StringComparison.Ordinal) && key[V6.Length..].All(char.IsAsciiHexDigitLower);
    }
}
