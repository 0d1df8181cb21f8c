using System.Text;
using System.Text.Json;
using FunctionsGateway.Client;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Tests.Protocol;

public sealed class DeviceSignatureVectorTests
{
    // RFC 8032 §7.1, tests 1–3: secret key, public key, message, signature (hex).
    public static TheoryData<string, string, string, string> Rfc8032 => new()
    {
        {
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        },
        {
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        },
        {
            "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            "af82",
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"
        },
    };

    [Theory]
    [MemberData(nameof(Rfc8032))]
    public void Ed25519_signing_and_verification_reproduce_the_RFC_8032_vectors(string secret, string publicKey, string message, string signature)
    {
        using var key = DeviceKey.FromSeed(Convert.FromHexString(secret));
        var msg = Convert.FromHexString(message);

        Assert.Equal(publicKey, Convert.ToHexStringLower(Base64UrlDecode(key.PublicKey)));
        Assert.Equal(signature, Convert.ToHexStringLower(key.Sign(msg)));
        Assert.True(DeviceIdentity.Verify(Convert.FromHexString(publicKey), msg, Convert.FromHexString(signature)));

        var flipped = Convert.FromHexString(signature);
        flipped[0] ^= 1;
        Assert.False(DeviceIdentity.Verify(Convert.FromHexString(publicKey), msg, flipped));
        Assert.False(DeviceIdentity.Verify(Convert.FromHexString(publicKey), [.. msg, 0], Convert.FromHexString(signature)));
    }

    public static IEnumerable<object[]> DeviceAuthV3()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(RepoPaths.Vector("device-auth-v3.json")));
        foreach (var v in doc.RootElement.GetProperty("deviceAuthV3").EnumerateArray())
        {
            yield return [v.GetProperty("name").GetString()!, v.GetRawText()];
        }
    }

    [Theory]
    [MemberData(nameof(DeviceAuthV3))]
    public void The_v3_payload_device_id_and_signature_match_the_independent_vectors(string name, string json)
    {
        using var doc = JsonDocument.Parse(json);
        var v = doc.RootElement;
        using var key = DeviceKey.FromSeed(Convert.FromHexString(v.GetProperty("seedHex").GetString()!));
        var scopes = v.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()!).ToArray();

        var payload = DeviceAuthPayload.Build(
            key.DeviceId,
            v.GetProperty("clientId").GetString()!,
            v.GetProperty("clientMode").GetString()!,
            v.GetProperty("role").GetString()!,
            scopes,
            v.GetProperty("signedAtMs").GetInt64(),
            v.GetProperty("token").GetString(),
            v.GetProperty("nonce").GetString()!,
            v.GetProperty("platform").GetString(),
            v.GetProperty("deviceFamily").GetString());

        Assert.Equal(v.GetProperty("publicKey").GetString(), key.PublicKey);
        Assert.Equal(v.GetProperty("deviceId").GetString(), key.DeviceId);
        Assert.Equal(v.GetProperty("payload").GetString(), payload);
        Assert.Equal(v.GetProperty("signature").GetString(), key.SignPayload(payload));
        Assert.True(DeviceIdentity.Verify(Base64UrlDecode(key.PublicKey), Encoding.UTF8.GetBytes(payload), Base64UrlDecode(v.GetProperty("signature").GetString()!)), name);
    }

    [Fact]
    public void The_device_id_is_the_lowercase_hex_sha256_of_the_raw_public_key()
    {
        using var key = DeviceKey.Generate();
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Base64UrlDecode(key.PublicKey)));
        Assert.Equal(expected, key.DeviceId);
        Assert.Equal(expected, DeviceIdentity.DeriveDeviceId(Base64UrlDecode(key.PublicKey)));
    }

    [Theory]
    [InlineData("  MacOS ", "macos")]
    [InlineData("LINUX", "linux")]
    [InlineData("Ünïcode", "Ünïcode")]
    [InlineData(null, "")]
    public void Metadata_is_trimmed_and_only_ascii_lowercased(string? input, string expected)
        => Assert.Equal(expected, DeviceAuthPayload.NormalizeMetadata(input));

    [Fact]
    public void Malformed_keys_and_signatures_are_simply_invalid()
    {
        Assert.False(DeviceIdentity.Verify(new byte[31], [], new byte[64]));
        Assert.False(DeviceIdentity.Verify(new byte[32], [], new byte[63]));
        Assert.False(DeviceIdentity.TryDecodePublicKey("not*base64url", out _));
        Assert.False(DeviceIdentity.TryDecodePublicKey(Base64Url.Encode(new byte[33]), out _));
    }

    private static byte[] Base64UrlDecode(string text) => Base64Url.TryDecode(text, out var bytes) ? bytes : throw new FormatException(text);
}
