using FunctionsGateway.Core.Admission;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Tests.Admission;

/// <summary>The stateless challenge nonce (docs/decisions/0011-stateless-challenge.md) proves its connection and expiry, and nothing else passes.</summary>
public sealed class ChallengeNonceTests
{
    private const string SharedToken = "unit-shared-token-0123456789";
    private static readonly DateTimeOffset Expiry = new(2026, 12, 4, 12, 0, 0, 123, TimeSpan.Zero);

    [Fact]
    public void A_nonce_verifies_on_its_connection_with_its_expiry_on_any_instance_sharing_the_token()
    {
        var nonce = new ChallengeNonce(SharedToken).Issue("conn-a", Expiry);

        Assert.Equal(Expiry, new ChallengeNonce(SharedToken).Verify(nonce, "conn-a"));
        Assert.Equal(75, nonce.Length);
    }

    [Fact]
    public void Two_nonces_for_one_connection_and_expiry_differ()
    {
        var nonces = new ChallengeNonce(SharedToken);

        Assert.NotEqual(nonces.Issue("conn-a", Expiry), nonces.Issue("conn-a", Expiry));
    }

    [Fact]
    public void A_nonce_fails_on_another_connection_or_under_another_token()
    {
        var nonce = new ChallengeNonce(SharedToken).Issue("conn-a", Expiry);

        Assert.Null(new ChallengeNonce(SharedToken).Verify(nonce, "conn-b"));
        Assert.Null(new ChallengeNonce(SharedToken).Verify(nonce, "conn-a "));
        Assert.Null(new ChallengeNonce(SharedToken + "x").Verify(nonce, "conn-a"));
    }

    [Fact]
    public void Every_single_flipped_bit_fails()
    {
        var nonces = new ChallengeNonce(SharedToken);
        Assert.True(Base64Url.TryDecode(nonces.Issue("conn-a", Expiry), out var bytes));

        for (var bit = 0; bit < bytes.Length * 8; bit++)
        {
            var tampered = (byte[])bytes.Clone();
            tampered[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.True(nonces.Verify(Base64Url.Encode(tampered), "conn-a") is null, $"bit {bit} flipped was accepted");
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not base64url!")]
    [InlineData("AAAA")]
    public void Garbage_fails(string? nonce)
        => Assert.Null(new ChallengeNonce(SharedToken).Verify(nonce, "conn-a"));

    [Fact]
    public void A_truncated_or_extended_nonce_fails()
    {
        var nonces = new ChallengeNonce(SharedToken);
        Assert.True(Base64Url.TryDecode(nonces.Issue("conn-a", Expiry), out var bytes));

        Assert.Null(nonces.Verify(Base64Url.Encode(bytes.AsSpan(0, bytes.Length - 1)), "conn-a"));
        Assert.Null(nonces.Verify(Base64Url.Encode([.. bytes, 0]), "conn-a"));
        Assert.Null(nonces.Verify(new string('A', 10_000), "conn-a"));
    }
}
