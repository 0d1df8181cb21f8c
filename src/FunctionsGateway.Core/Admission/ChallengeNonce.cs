using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Admission;

/// <summary>
/// The stateless <c>connect.challenge</c> nonce (docs/decisions/0011-stateless-challenge.md): base64url of
/// <c>expiry (8 bytes, Unix ms, big-endian) || random (16 bytes) || HMAC-SHA256 (32 bytes)</c>, the MAC over the expiry,
/// the random bytes and the connection id, under a key every instance derives from the shared gateway token. Nothing is
/// stored when it is issued; single use is enforced when <c>connect</c> writes the connection row.
/// </summary>
public sealed class ChallengeNonce
{
    private const int ExpiryLength = 8;
    private const int RandomLength = 16;
    private const int MacLength = 32;
    private const int Length = ExpiryLength + RandomLength + MacLength;

    /// <summary>Fixed label: the derived key serves only this purpose, never as the shared token itself.</summary>
    private static readonly byte[] Label = Encoding.UTF8.GetBytes("FunctionsGateway connect.challenge nonce v1");

    private readonly byte[] key;

    public ChallengeNonce(string sharedToken)
        => key = HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(sharedToken), MacLength, salt: [], info: Label);

    public string Issue(string connectionId, DateTimeOffset expiresAt)
    {
        var bytes = new byte[Length];
        BinaryPrimitives.WriteInt64BigEndian(bytes, expiresAt.ToUnixTimeMilliseconds());
        RandomNumberGenerator.Fill(bytes.AsSpan(ExpiryLength, RandomLength));
        Mac(bytes.AsSpan(0, ExpiryLength + RandomLength), connectionId, bytes.AsSpan(ExpiryLength + RandomLength));
        return Base64Url.Encode(bytes);
    }

    /// <summary>
    /// The nonce's expiry when it was issued by this gateway for <paramref name="connectionId"/>; null for anything
    /// else (another connection's nonce, a forged or altered one, garbage). The MAC is compared in constant time.
    /// </summary>
    public DateTimeOffset? Verify(string? nonce, string connectionId)
    {
        // A well-formed nonce is 75 characters; anything far longer is not worth decoding.
        if (string.IsNullOrEmpty(nonce) || nonce.Length > 2 * Length || !Base64Url.TryDecode(nonce, out var bytes) || bytes.Length != Length)
        {
            return null;
        }

        Span<byte> expected = stackalloc byte[MacLength];
        Mac(bytes.AsSpan(0, ExpiryLength + RandomLength), connectionId, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, bytes.AsSpan(ExpiryLength + RandomLength)))
        {
            return null;
        }

        var ms = BinaryPrimitives.ReadInt64BigEndian(bytes);
        return ms < DateTimeOffset.MinValue.ToUnixTimeMilliseconds() || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()
            ? null
            : DateTimeOffset.FromUnixTimeMilliseconds(ms);
    }

    /// <summary>The fixed-length fields first, then the connection id, so no two inputs share an encoding.</summary>
    private void Mac(ReadOnlySpan<byte> fields, string connectionId, Span<byte> destination)
    {
        var id = Encoding.UTF8.GetBytes(connectionId);
        var input = new byte[fields.Length + id.Length];
        fields.CopyTo(input);
        id.CopyTo(input.AsSpan(fields.Length));
        HMACSHA256.HashData(key, input, destination);
    }
}
