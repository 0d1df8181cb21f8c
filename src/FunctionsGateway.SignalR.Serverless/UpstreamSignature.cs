using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace FunctionsGateway.SignalR.Serverless;

/// <summary>
/// The <c>X-ASRS-Signature</c> check: <c>sha256=HEX(HMAC-SHA256(UTF8(accessKey), UTF8(connectionId)))</c>,
/// one comma-separated entry per service key.
/// </summary>
public static class UpstreamSignature
{
    private const string Prefix = "sha256=";
    private const int HashBytes = 32;
    private const int HexChars = HashBytes * 2;

    // Primary + secondary is the norm; more entries than this is not a real service request.
    private const int MaxEntries = 8;

    /// <summary>Computes the header value the service would send for one key (upper-case hex).</summary>
    public static string Compute(string accessKey, string connectionId)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessKey);
        ArgumentNullException.ThrowIfNull(connectionId);
        Span<byte> mac = stackalloc byte[HashBytes];
        Hash(accessKey, connectionId, mac);
        return Prefix + Convert.ToHexString(mac);
    }

    /// <summary>
    /// True when any <c>sha256=</c> entry of <paramref name="signatureHeader"/> matches the signature of
    /// <paramref name="connectionId"/> under any of <paramref name="accessKeys"/>. Hex is case-insensitive;
    /// comparison is constant time; missing or malformed headers give false.
    /// </summary>
    public static bool IsValid(string? signatureHeader, string? connectionId, IReadOnlyList<string> accessKeys)
    {
        ArgumentNullException.ThrowIfNull(accessKeys);
        if (string.IsNullOrWhiteSpace(signatureHeader) || string.IsNullOrEmpty(connectionId) || accessKeys.Count == 0)
        {
            return false;
        }

        Span<byte> provided = stackalloc byte[HashBytes * MaxEntries];
        var entries = 0;
        foreach (var range in signatureHeader.AsSpan().Split(','))
        {
            var entry = signatureHeader.AsSpan(range).Trim();
            if (entry.IsEmpty)
            {
                continue;
            }

            if (entries == MaxEntries
                || !entry.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)
                || entry.Length != Prefix.Length + HexChars)
            {
                return false;
            }

            var status = Convert.FromHexString(entry[Prefix.Length..], provided.Slice(entries * HashBytes, HashBytes), out _, out var written);
            if (status != OperationStatus.Done || written != HashBytes)
            {
                return false;
            }

            entries++;
        }

        Span<byte> expected = stackalloc byte[HashBytes];
        var match = false;
        foreach (var key in accessKeys)
        {
            if (string.IsNullOrEmpty(key))
            {
                continue;
            }

            Hash(key, connectionId, expected);
            for (var i = 0; i < entries; i++)
            {
                match |= CryptographicOperations.FixedTimeEquals(expected, provided.Slice(i * HashBytes, HashBytes));
            }
        }

        return match;
    }

    private static void Hash(string accessKey, string connectionId, Span<byte> destination)
    {
        // Keys and connection ids are short; the heap is only touched for unusual lengths.
        const int StackLimit = 256;
        var keyMax = Encoding.UTF8.GetMaxByteCount(accessKey.Length);
        var dataMax = Encoding.UTF8.GetMaxByteCount(connectionId.Length);
        byte[]? keyRented = null, dataRented = null;
        var key = keyMax <= StackLimit ? stackalloc byte[StackLimit] : (keyRented = ArrayPool<byte>.Shared.Rent(keyMax));
        var data = dataMax <= StackLimit ? stackalloc byte[StackLimit] : (dataRented = ArrayPool<byte>.Shared.Rent(dataMax));
        try
        {
            var keyLength = Encoding.UTF8.GetBytes(accessKey, key);
            var dataLength = Encoding.UTF8.GetBytes(connectionId, data);
            HMACSHA256.HashData(key[..keyLength], data[..dataLength], destination);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            if (keyRented is not null)
            {
                ArrayPool<byte>.Shared.Return(keyRented);
            }

            if (dataRented is not null)
            {
                ArrayPool<byte>.Shared.Return(dataRented);
            }
        }
    }
}
