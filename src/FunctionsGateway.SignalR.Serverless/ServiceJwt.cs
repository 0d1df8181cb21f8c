using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FunctionsGateway.SignalR.Serverless;

/// <summary>
/// A minimal HS256 JWT writer and validator for Azure SignalR Service tokens. The key is the UTF-8 bytes
/// of the access key as written (the service does not base64-decode it).
/// </summary>
public static class ServiceJwt
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

    /// <summary>Validates an HS256 token against any of <paramref name="accessKeys"/> and one audience.</summary>
    public static bool TryValidate(
        string? token,
        IReadOnlyList<string> accessKeys,
        string expectedAudience,
        DateTimeOffset now,
        [NotNullWhen(true)] out ServiceJwtPayload? payload,
        [NotNullWhen(false)] out string? error) =>
        TryValidate(token, accessKeys, [expectedAudience], now, DefaultClockSkew, out payload, out error);

    /// <summary>
    /// Validates an HS256 token: signature (constant time, any key), <c>aud</c> (exact match with any accepted
    /// audience), <c>exp</c> (required) and <c>nbf</c>, both with <paramref name="clockSkew"/>. Never throws on bad input.
    /// </summary>
    public static bool TryValidate(
        string? token,
        IReadOnlyList<string> accessKeys,
        IReadOnlyList<string> acceptedAudiences,
        DateTimeOffset now,
        TimeSpan clockSkew,
        [NotNullWhen(true)] out ServiceJwtPayload? payload,
        [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(accessKeys);
        ArgumentNullException.ThrowIfNull(acceptedAudiences);
        payload = null;
        error = null;

        if (string.IsNullOrEmpty(token))
        {
            error = "The token is missing.";
            return false;
        }

        if (token.Length > MaxTokenLength)
        {
            error = $"The token is longer than {MaxTokenLength} characters.";
            return false;
        }

        if (!Ascii.IsValid(token))
        {
            error = "The token is not a compact JWT.";
            return false;
        }

        var firstDot = token.IndexOf('.', StringComparison.Ordinal);
        var lastDot = token.LastIndexOf('.');
        if (firstDot <= 0 || lastDot == firstDot || token.AsSpan(firstDot + 1, lastDot - firstDot - 1).Contains('.'))
        {
            error = "The token is not a compact JWT.";
            return false;
        }

        Span<byte> bytes = stackalloc byte[MaxTokenLength];
        var headerLength = DecodeSegment(token.AsSpan(0, firstDot), bytes);
        if (headerLength < 0 || !TryReadHeader(bytes[..headerLength], out var keyId, out error))
        {
            error ??= "The token header is not valid base64url JSON.";
            return false;
        }

        Span<byte> signature = stackalloc byte[SignatureBytes + 3];
        var signatureChars = token.AsSpan(lastDot + 1);
        if (DecodeSegment(signatureChars, signature) != SignatureBytes)
        {
            error = "The token signature is invalid.";
            return false;
        }

        var signedInput = bytes[..lastDot];
        Encoding.ASCII.GetBytes(token.AsSpan(0, lastDot), signedInput);
        if (!SignatureMatchesAnyKey(signedInput, signature[..SignatureBytes], accessKeys))
        {
            error = "The token signature is invalid.";
            return false;
        }

        var payloadLength = DecodeSegment(token.AsSpan(firstDot + 1, lastDot - firstDot - 1), bytes);
        if (payloadLength < 0 || !TryReadPayload(bytes[..payloadLength], keyId, out var parsed, out error))
        {
            error ??= "The token payload is not valid base64url JSON.";
            return false;
        }

        var audienceOk = false;
        foreach (var aud in parsed.Audiences)
        {
            foreach (var accepted in acceptedAudiences)
            {
                audienceOk |= string.Equals(aud, accepted, StringComparison.Ordinal);
            }
        }

        if (!audienceOk)
        {
            error = "The token audience does not match.";
            return false;
        }

        if (now >= parsed.ExpiresAt + clockSkew)
        {
            error = "The token has expired.";
            return false;
        }

        if (parsed.NotBefore is { } nbf && now + clockSkew < nbf)
        {
            error = "The token is not valid yet.";
            return false;
        }

        payload = parsed;
        error = null;
        return true;
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
    private static int DecodeSegment(ReadOnlySpan<char> segment, Span<byte> destination) =>
        Base64Url.DecodeFromChars(segment, destination, out var consumed, out var written) == OperationStatus.Done && consumed == segment.Length
            ? written
            : -1;

    private static bool SignatureMatchesAnyKey(ReadOnlySpan<byte> signedInput, ReadOnlySpan<byte> signature, IReadOnlyList<string> accessKeys)
    {
        Span<byte> mac = stackalloc byte[SignatureBytes];
        Span<byte> keyBytes = stackalloc byte[StackKeyLimit];
        var match = false;
        foreach (var accessKey in accessKeys)
        {
            if (string.IsNullOrEmpty(accessKey))
            {
                continue;
            }

            byte[]? rented = null;
            var max = Encoding.UTF8.GetMaxByteCount(accessKey.Length);
            var key = max <= StackKeyLimit ? keyBytes : (rented = ArrayPool<byte>.Shared.Rent(max));
            try
            {
                var length = Encoding.UTF8.GetBytes(accessKey, key);
                HMACSHA256.HashData(key[..length], signedInput, mac);
                match |= CryptographicOperations.FixedTimeEquals(mac, signature);
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

        return match;
    }

    private static bool TryReadHeader(ReadOnlySpan<byte> json, out string? keyId, out string? error)
    {
        keyId = null;
        error = null;
        string? alg = null;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 8 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isAlg = reader.ValueTextEquals("alg"u8);
                var isKid = reader.ValueTextEquals("kid"u8);
                reader.Read();
                if (isAlg && reader.TokenType == JsonTokenType.String)
                {
                    alg = reader.GetString();
                }
                else if (isKid && reader.TokenType == JsonTokenType.String)
                {
                    keyId = reader.GetString();
                }
                else
                {
                    reader.Skip();
                }
            }

            if (alg != "HS256")
            {
                // Anything else (none, HS512, RS256) is refused rather than guessed at.
                error = "The token algorithm is not HS256.";
                return false;
            }

            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    private static bool TryReadPayload(ReadOnlySpan<byte> json, string? keyId, [NotNullWhen(true)] out ServiceJwtPayload? payload, out string? error)
    {
        payload = null;
        error = null;
        var audiences = new List<string>(1);
        var claims = new List<KeyValuePair<string, string>>();
        long? exp = null, nbf = null, iat = null;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 16 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                switch (name)
                {
                    case "aud":
                        ReadStrings(ref reader, audiences);
                        break;
                    case "exp":
                        exp = ReadUnixTime(ref reader);
                        break;
                    case "nbf":
                        nbf = ReadUnixTime(ref reader);
                        break;
                    case "iat":
                        iat = ReadUnixTime(ref reader);
                        break;
                    default:
                        ReadClaim(ref reader, name, claims);
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return false;
        }

        if (exp is null)
        {
            error = "The token has no exp claim.";
            return false;
        }

        if (audiences.Count == 0)
        {
            error = "The token has no aud claim.";
            return false;
        }

        payload = new ServiceJwtPayload(
            audiences,
            DateTimeOffset.FromUnixTimeSeconds(exp.Value),
            nbf is null ? null : DateTimeOffset.FromUnixTimeSeconds(nbf.Value),
            iat is null ? null : DateTimeOffset.FromUnixTimeSeconds(iat.Value),
            keyId,
            claims);
        return true;
    }

    private static void ReadStrings(ref Utf8JsonReader reader, List<string> values)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            values.Add(reader.GetString()!);
            return;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new FormatException();
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            values.Add(reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new FormatException());
        }
    }

    private static long? ReadUnixTime(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw new FormatException();
        }

        // Clamp to DateTimeOffset's range so hostile values cannot throw later.
        const long Max = 253402300799;
        var seconds = reader.TryGetInt64(out var whole) ? whole : (long)Math.Floor(reader.GetDouble());
        return Math.Clamp(seconds, 0, Max);
    }

    private static void ReadClaim(ref Utf8JsonReader reader, string name, List<KeyValuePair<string, string>> claims)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartArray:
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    ReadClaim(ref reader, name, claims);
                }

                break;
            case JsonTokenType.Null:
                break;
            case JsonTokenType.String:
                claims.Add(new(name, reader.GetString()!));
                break;
            case JsonTokenType.StartObject:
                // Objects are kept as their raw JSON text.
                using (var doc = JsonDocument.ParseValue(ref reader))
                {
                    claims.Add(new(name, doc.RootElement.GetRawText()));
                }

                break;
            default:
                claims.Add(new(name, Encoding.UTF8.GetString(reader.ValueSpan)));
                break;
        }
    }
}

/// <summary>The validated contents of a service token.</summary>
public sealed class ServiceJwtPayload
{
    internal ServiceJwtPayload(
        IReadOnlyList<string> audiences,
        DateTimeOffset expiresAt,
        DateTimeOffset? notBefore,
        DateTimeOffset? issuedAt,
        string? keyId,
        IReadOnlyList<KeyValuePair<string, string>> claims)
    {
        Audiences = audiences;
        ExpiresAt = expiresAt;
        NotBefore = notBefore;
        IssuedAt = issuedAt;
        KeyId = keyId;
        Claims = claims;
    }

    /// <summary>The <c>aud</c> value(s).</summary>
    public IReadOnlyList<string> Audiences { get; }

    /// <summary>The <c>exp</c> time.</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>The <c>nbf</c> time, if present.</summary>
    public DateTimeOffset? NotBefore { get; }

    /// <summary>The <c>iat</c> time, if present.</summary>
    public DateTimeOffset? IssuedAt { get; }

    /// <summary>The <c>kid</c> header, if present.</summary>
    public string? KeyId { get; }

    /// <summary>Every other claim in document order; array claims appear once per element.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Claims { get; }

    /// <summary>The user id the service resolves: <c>asrs.s.uid</c>, else <c>nameid</c>, else <c>sub</c>.</summary>
    public string? UserId => FindFirst(SignalRClaimTypes.UserId) ?? FindFirst(SignalRClaimTypes.NameIdentifier) ?? FindFirst("sub");

    /// <summary>The first value of a claim type, or null.</summary>
    public string? FindFirst(string type)
    {
        foreach (var (key, value) in Claims)
        {
            if (string.Equals(key, type, StringComparison.Ordinal))
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>Every value of a claim type.</summary>
    public IEnumerable<string> FindAll(string type)
    {
        foreach (var (key, value) in Claims)
        {
            if (string.Equals(key, type, StringComparison.Ordinal))
            {
                yield return value;
            }
        }
    }
}
