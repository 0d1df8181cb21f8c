using System.Buffers.Text;

namespace FunctionsGateway.Protocol;

/// <summary>Unpadded base64url, the encoding of public keys, signatures and tokens on the wire.</summary>
public static class Base64Url
{
    public static string Encode(ReadOnlySpan<byte> data) => System.Buffers.Text.Base64Url.EncodeToString(data);

    /// <summary>
    /// Decodes only the canonical spelling: the base64url alphabet, no padding, no white space (which the framework's
    /// decoder would skip), so one key or signature has exactly one string form.
    /// </summary>
    public static bool TryDecode(string? text, out byte[] bytes)
    {
        bytes = [];
        if (string.IsNullOrEmpty(text) || !IsCanonical(text) || !System.Buffers.Text.Base64Url.IsValid(text.AsSpan(), out var length))
        {
            return false;
        }

        var buffer = new byte[length];
        if (System.Buffers.Text.Base64Url.DecodeFromChars(text.AsSpan(), buffer) != length)
        {
            return false;
        }

        bytes = buffer;
        return true;
    }

    private static bool IsCanonical(string text)
    {
        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }
}
