using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

// Provenance: written in this repository from the Azure SignalR Service's documented token rules (HS256 signed
// with the UTF-8 bytes of the access key as written; aud is the URL the token is for; the service's own claim
// names), because the service's management SDK cannot be used here (docs/decisions/0006). It is checked by
// tests/FunctionsGateway.Tests/SignalR.Serverless/ServiceJwtTests.cs and, end to end, by the official SignalR
// clients accepting the tokens it mints.

namespace FunctionsGateway.SignalR.Serverless;

/// <summary>
/// A minimal HS256 JWT writer and validator for Azure SignalR Service tokens. The key is the UTF-8 bytes
/// of the access key as written (the service does not base64-decode it).
/// </summary>
public static partial class ServiceJwt
{
    /// <summary>The SDK refuses, and the service rejects (413), tokens longer than this.</summary>
    public const int MaxTokenLength = 4096;

    /// <summary>Clock skew tolerated on <c>exp</c> and <c>nbf</c> by <see cref="TryValidate(string?, IReadOnlyList{string}, string, DateTimeOffset, out ServiceJwtPayload?, out string?)"/>.</summary>
    public static readonly TimeSpan DefaultClockSkew = TimeSpan.FromSeconds(30);

    private const int SignatureBytes = 32;
    private const int SignatureChars = 43; // base64url of 32 bytes, unpadded
    private const int StackKeyLimit = 256;

    // The header without kid never changes, so it is encoded once.
    private static readonly byte[] s_plainHeader = Base64Url.EncodeToUtf8("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"u8);

    /// <summary>Claims <see cref="Create(string, string, TimeSpan, IEnumerable{KeyValuePair{string, string}}?, DateTimeOffset, string?)"/> writes itself.</summary>
    internal static bool IsRegisteredTimeOrAudience(string type) => type is "aud" or "exp" or "nbf" or "iat";

    /// <summary>Creates a token signed with the UTF-8 bytes of <paramref name="accessKey"/>.</summary>
    /// <param name="accessKey">The access key string as written in the connection string.</param>
    /// <param name="audience">The exact <c>aud</c> value.</param>
    /// <param name="lifetime">Added to <paramref name="now"/> for <c>exp</c>.</param>
    /// <param name="claims">Extra string claims; repeated types become a JSON array. Must not contain aud/exp/nbf/iat.</param>
    /// <param name="now">Issue time, written as <c>iat</c> and <c>nbf</c>.</param>
    /// <param name="keyId">Optional <c>kid</c> header (required for Entra temporary keys).</param>
    public static string Create(string accessKey, string audience, TimeSpan lifetime, IEnumerable<KeyValuePair<string, string>>? claims, DateTimeOffset now, string? keyId = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessKey);
        var max = Encoding.UTF8.GetMaxByteCount(accessKey.Length);
        byte[]? rented = null;
        var key = max <= StackKeyLimit ? stackalloc byte[StackKeyLimit] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var length = Encoding.UTF8.GetBytes(accessKey, key);
            return Create(key[..length], audience, lifetime, claims, now, keyId);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Creates a token signed with raw key bytes.</summary>
    public static string Create(ReadOnlySpan<byte> key, string audience, TimeSpan lifetime, IEnumerable<KeyValuePair<string, string>>? claims, DateTimeOffset now, string? keyId = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(audience);
        if (key.IsEmpty)
        {
            throw new ArgumentException("The signing key is empty.", nameof(key));
        }

        if (lifetime <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), "Token lifetime must be positive.");
        }

        var claimList = Materialize(claims);
        var scratch = JsonScratch.Rent();
        try
        {
            byte[] header = s_plainHeader;
            if (keyId is not null)
            {
                var w = scratch.Writer;
                w.WriteStartObject();
                w.WriteString("alg"u8, "HS256"u8);
                w.WriteString("typ"u8, "JWT"u8);
                w.WriteString("kid"u8, keyId);
                w.WriteEndObject();
                w.Flush();
                header = Base64Url.EncodeToUtf8(scratch.Buffer.WrittenSpan);
                scratch.Buffer.ResetWrittenCount();
                w.Reset(scratch.Buffer);
            }

            WritePayload(scratch.Writer, audience, lifetime, claimList, now);
            var payload = scratch.Buffer.WrittenSpan;

            var payloadChars = Base64Url.GetEncodedLength(payload.Length);
            var signedLength = header.Length + 1 + payloadChars;
            var total = signedLength + 1 + SignatureChars;
            var buffer = ArrayPool<byte>.Shared.Rent(total);
            try
            {
                var span = buffer.AsSpan(0, total);
                header.CopyTo(span);
                span[header.Length] = (byte)'.';
                Base64Url.EncodeToUtf8(payload, span.Slice(header.Length + 1, payloadChars), out _, out _);
                Span<byte> mac = stackalloc byte[SignatureBytes];
                HMACSHA256.HashData(key, span[..signedLength], mac);
                span[signedLength] = (byte)'.';
                Base64Url.EncodeToUtf8(mac, span[(signedLength + 1)..], out _, out _);
                return Encoding.ASCII.GetString(span);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        finally
        {
            JsonScratch.Return(scratch);
        }
    }

    private static List<KeyValuePair<string, string>> Materialize(IEnumerable<KeyValuePair<string, string>>? claims)
    {
        var list = claims is null ? [] : new List<KeyValuePair<string, string>>(claims);
        foreach (var (type, value) in list)
        {
            if (string.IsNullOrEmpty(type) || value is null)
            {
                throw new ArgumentException("Claims need a non-empty type and a non-null value.", nameof(claims));
            }

            if (IsRegisteredTimeOrAudience(type))
            {
                throw new ArgumentException($"Claim '{type}' is written by the token writer itself.", nameof(claims));
            }
        }

        return list;
    }

    private static void WritePayload(Utf8JsonWriter w, string audience, TimeSpan lifetime, List<KeyValuePair<string, string>> claims, DateTimeOffset now)
    {
        var iat = now.ToUnixTimeSeconds();
        w.WriteStartObject();
        w.WriteString("aud"u8, audience);
        w.WriteNumber("exp"u8, (now + lifetime).ToUnixTimeSeconds());
        w.WriteNumber("nbf"u8, iat);
        w.WriteNumber("iat"u8, iat);

        // Group repeated types into arrays while keeping first-seen order; claim lists are short, so O(n^2) is fine.
        for (var i = 0; i < claims.Count; i++)
        {
            var type = claims[i].Key;
            if (IndexOfType(claims, type, 0) < i)
            {
                continue;
            }

            var next = IndexOfType(claims, type, i + 1);
            if (next < 0)
            {
                w.WriteString(type, claims[i].Value);
                continue;
            }

            w.WriteStartArray(type);
            w.WriteStringValue(claims[i].Value);
            for (var j = next; j >= 0; j = IndexOfType(claims, type, j + 1))
            {
                w.WriteStringValue(claims[j].Value);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
        w.Flush();
    }

    private static int IndexOfType(List<KeyValuePair<string, string>> claims, string type, int start)
    {
        for (var i = start; i < claims.Count; i++)
        {
            if (string.Equals(claims[i].Key, type, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    // The OperationStatus overload reports bad characters instead of throwing (TryDecodeFromChars throws on them).
    // A JWT segment is unpadded base64url: '=' padding (which the decoder would accept) makes another spelling of the
    // same token, so it is refused.
    private static int DecodeSegment(ReadOnlySpan<char> segment, Span<byte> destination) =>
        !segment.Contains('=') && Base64Url.DecodeFromChars(segment, destination, out var consumed, out var written) == OperationStatus.Done && consumed == segment.Length
            ? written
            : -1;

}
