using System.Text;
using FunctionsGateway.SignalR.Serverless;

namespace FunctionsGateway.Tests.SignalR.Serverless;

public sealed class ServiceJwtHardeningTests
{
    private const string Key = "hardening-access-key-0123456789";
    private const string Audience = "http://localhost/client/?hub=gateway";
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_signature_with_padding_is_refused()
    {
        var token = ServiceJwt.Create(Key, Audience, TimeSpan.FromHours(1), null, Now);

        Assert.True(ServiceJwt.TryValidate(token, [Key], Audience, Now, out _, out _));
        Assert.False(ServiceJwt.TryValidate(token + "=", [Key], Audience, Now, out _, out var error));
        Assert.NotNull(error);
    }

    [Theory]
    [InlineData("1e15")]
    [InlineData("253402300799")]
    [InlineData("9223372036854775807")]
    public void An_exp_at_or_past_the_end_of_time_is_compared_without_overflow(string exp)
    {
        var token = Sign("{\"aud\":\"" + Audience + "\",\"exp\":" + exp + "}");

        Assert.True(ServiceJwt.TryValidate(token, [Key], Audience, Now, out var payload, out var error), error);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(253402300799), payload!.ExpiresAt);
    }

    /// <summary>A token with a payload of our choosing, validly signed: the checks under test are the claims'.</summary>
    private static string Sign(string payloadJson)
    {
        static string B64(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var input = B64(Encoding.UTF8.GetBytes("{\"alg\":\"HS256\",\"typ\":\"JWT\"}")) + "." + B64(Encoding.UTF8.GetBytes(payloadJson));
        using var hmac = new System.Security.Cryptography.HMACSHA256(Encoding.UTF8.GetBytes(Key));
        return input + "." + B64(hmac.ComputeHash(Encoding.ASCII.GetBytes(input)));
    }
}
