using System.Text;
using BenchmarkDotNet.Attributes;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Protocol;
using NSec.Cryptography;

namespace FunctionsGateway.Benchmarks;

/// <summary>The CPU part of a handshake: rebuild the v3 payload, verify Ed25519, hash and compare a device token.</summary>
[MemoryDiagnoser]
public class DeviceProofBenchmarks
{
    private readonly byte[] publicKey;
    private readonly byte[] signature;
    private readonly string deviceId;
    private readonly string tokenHash;
    private readonly string token;

    public DeviceProofBenchmarks()
    {
        using var key = Key.Create(SignatureAlgorithm.Ed25519);
        publicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        deviceId = DeviceIdentity.DeriveDeviceId(publicKey);
        signature = SignatureAlgorithm.Ed25519.Sign(key, Encoding.UTF8.GetBytes(Payload()));
        (token, tokenHash) = DeviceTokens.Mint();
    }

    [Benchmark]
    public bool Verify_v3_device_signature()
        => DeviceIdentity.Verify(publicKey, Encoding.UTF8.GetBytes(Payload()), signature);

    [Benchmark]
    public bool Device_token_check() => DeviceTokens.Matches(token, tokenHash);

    private string Payload() => DeviceAuthPayload.Build(deviceId, "cli", "cli", "operator", ["operator.read"], 1795910400000, "shared-token", "nonce-0001", "linux", "");
}
