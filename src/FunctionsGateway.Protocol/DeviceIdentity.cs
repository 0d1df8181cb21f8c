using System.Security.Cryptography;
using NSec.Cryptography;

namespace FunctionsGateway.Protocol;

/// <summary>Ed25519 device identity: the id is derived from the key, never asserted (docs/protocol.md §3).</summary>
public static class DeviceIdentity
{
    public const int PublicKeyLength = 32;
    public const int SignatureLength = 64;

    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;

    /// <summary>Lowercase hex SHA-256 of the raw 32-byte public key.</summary>
    public static string DeriveDeviceId(ReadOnlySpan<byte> rawPublicKey)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(rawPublicKey, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>The shape of a device id: 64 lowercase hex characters. Anything else is refused before storage sees it.</summary>
    public static bool IsDeviceId(string? id) => id is { Length: 64 } && id.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    public static bool TryDecodePublicKey(string? base64Url, out byte[] rawPublicKey)
        => Base64Url.TryDecode(base64Url, out rawPublicKey) && rawPublicKey.Length == PublicKeyLength;

    /// <summary>Verifies an Ed25519 signature; any malformed input is simply "not valid".</summary>
    public static bool Verify(ReadOnlySpan<byte> rawPublicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (rawPublicKey.Length != PublicKeyLength || signature.Length != SignatureLength)
        {
            return false;
        }

        if (!PublicKey.TryImport(Ed25519, rawPublicKey, KeyBlobFormat.RawPublicKey, out var key) || key is null)
        {
            return false;
        }

        return Ed25519.Verify(key, message, signature);
    }
}
