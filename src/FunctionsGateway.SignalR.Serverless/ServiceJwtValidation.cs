using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FunctionsGateway.SignalR.Serverless;

/// <summary>Validation half of <see cref="ServiceJwt"/>: never throws on bad input.</summary>
public static partial class ServiceJwt
{
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

        // now is sane; exp may be the largest date there is, so the skew goes on the side that cannot overflow.
        if (now - clockSkew >= parsed.ExpiresAt)
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
