using System.Text;

namespace FunctionsGateway.Protocol;

/// <summary>
/// The v3 string a device signs: <c>v3|deviceId|clientId|clientMode|role|scopes|signedAtMs|token|nonce|platform|deviceFamily</c>.
/// Role and scopes are inside it, so nobody can change them in flight.
/// </summary>
public static class DeviceAuthPayload
{
    public const string Version = "v3";

    public static string Build(
        string deviceId,
        string clientId,
        string clientMode,
        string role,
        IReadOnlyList<string> scopes,
        long signedAtMs,
        string? token,
        string nonce,
        string? platform,
        string? deviceFamily)
    {
        var builder = new StringBuilder(256)
            .Append(Version).Append('|')
            .Append(deviceId).Append('|')
            .Append(clientId).Append('|')
            .Append(clientMode).Append('|')
            .Append(role).Append('|');
        for (var i = 0; i < scopes.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(',');
            }

            builder.Append(scopes[i]);
        }

        builder.Append('|')
            .Append(signedAtMs.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('|')
            .Append(token ?? string.Empty).Append('|')
            .Append(nonce).Append('|')
            .Append(NormalizeMetadata(platform)).Append('|')
            .Append(NormalizeMetadata(deviceFamily));
        return builder.ToString();
    }

    /// <summary>Trim and ASCII-lowercase only, so every implementation agrees byte for byte.</summary>
    public static string NormalizeMetadata(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        var trimmed = value.AsSpan().Trim();
        return string.Create(trimmed.Length, trimmed.ToString(), static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                span[i] = c is >= 'A' and <= 'Z' ? (char)(c + 32) : c;
            }
        });
    }

    /// <summary>The token field: auth.token, else auth.deviceToken, else empty.</summary>
    public static string SelectToken(string? token, string? deviceToken)
        => !string.IsNullOrEmpty(token) ? token : deviceToken ?? string.Empty;
}
