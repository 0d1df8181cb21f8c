using System.Text;
using FunctionsGateway.Protocol;
using NSec.Cryptography;

namespace FunctionsGateway.Client;

/// <summary>A device's Ed25519 key pair; the device id is derived from its public key.</summary>
public sealed class DeviceKey : IDisposable
{
    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;
    private readonly Key key;

    private DeviceKey(Key key)
    {
        this.key = key;
        var raw = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        PublicKey = Base64Url.Encode(raw);
        DeviceId = DeviceIdentity.DeriveDeviceId(raw);
    }

    /// <summary>Raw public key, base64url.</summary>
    public string PublicKey { get; }

    public string DeviceId { get; }

    public static DeviceKey Generate()
        => new(Key.Create(Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    /// <summary>From a 32-byte Ed25519 seed (RFC 8032 "private key").</summary>
    public static DeviceKey FromSeed(ReadOnlySpan<byte> seed)
        => new(Key.Import(Ed25519, seed, KeyBlobFormat.RawPrivateKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    public byte[] ExportSeed() => key.Export(KeyBlobFormat.RawPrivateKey);

    public byte[] Sign(ReadOnlySpan<byte> message) => Ed25519.Sign(key, message);

    /// <summary>Signs the UTF-8 of <paramref name="payload"/>; returns base64url.</summary>
    public string SignPayload(string payload) => Base64Url.Encode(Sign(Encoding.UTF8.GetBytes(payload)));

    public void Dispose() => key.Dispose();
}
