using System.Buffers.Text;

namespace FunctionsGateway.Protocol;

/// <summary>Unpadded base64url, the encoding of public keys, signatures and tokens on the wire.</summary>
public static class Base64Url
{
    public static string Encode(ReadOnlySpan<byte> data) => System.Buffers.Text.Base64Url.EncodeToString(data);

    public static bool TryDecode(string? text, out byte[] bytes)
    {
        bytes = [];
        if (string.IsNullOrEmpty(text) || !System.Buffers.Text.Base64Url.IsValid(text.AsSpan(), out var length))
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
}
