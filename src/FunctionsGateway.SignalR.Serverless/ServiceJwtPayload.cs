using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FunctionsGateway.SignalR.Serverless;

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
