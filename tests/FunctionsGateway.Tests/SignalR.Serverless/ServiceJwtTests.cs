using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using FunctionsGateway.SignalR.Serverless;

namespace FunctionsGateway.Tests.SignalR.Serverless;

public class ServiceJwtTests
{
    private const string Key = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";
    private const string Audience = "https://x.service.signalr.net/client/?hub=gateway";
    private static readonly DateTimeOffset Now = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Fact]
    public void Header_is_hs256_jwt_without_kid_by_default()
    {
        var token = ServiceJwt.Create(Key, Audience, TimeSpan.FromHours(1), null, Now);

        Assert.Equal("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", Jwt.HeaderText(token));
    }

    [Fact]
    public void Kid_is_written_when_given()
    {
        var token = ServiceJwt.Create(Key, Audience, TimeSpan.FromHours(1), null, Now, keyId: "key-1");

        Assert.Equal("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"key-1\"}", Jwt.HeaderText(token));
    }

    [Fact]
    public void Signature_is_hmac_sha256_over_header_and_payload_keyed_with_the_utf8_key_text()
    {
        var token = ServiceJwt.Create(Key, Audience, TimeSpan.FromHours(1), null, Now);
        var lastDot = token.LastIndexOf('.');

        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Key), Encoding.ASCII.GetBytes(token[..lastDot]));

        Assert.Equal(Base64Url.EncodeToString(expected), token[(lastDot + 1)..]);
    }

    [Fact]
    public void Payload_has_aud_exp_nbf_and_iat()
    {
        var token = ServiceJwt.Create(Key, Audience, TimeSpan.FromMinutes(10), null, Now);
        var payload = Jwt.Payload(token);

        Assert.Equal(Audience, payload.GetProperty("aud").GetString());
        Assert.Equal(Now.AddMinutes(10).ToUnixTimeSeconds(), payload.GetProperty("exp").GetInt64());
        Assert.Equal(Now.ToUnixTimeSeconds(), payload.GetProperty("nbf").GetInt64());
        Assert.Equal(Now.ToUnixTimeSeconds(), payload.GetProperty("iat").GetInt64());
    }

    [Fact]
    public void Repeated_claim_types_serialize_as_a_json_array()
    {
        var token = ServiceJwt.Create(Key, Audience, TimeSpan.FromHours(1), [new("role", "a"), new("x", "1"), new("role", "b")], Now);
        var payload = Jwt.Payload(token);

        Assert.Equal(["a", "b"], payload.GetProperty("role").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("1", payload.GetProperty("x").GetString());
    }

    [Theory]
    [InlineData("aud")]
    [InlineData("exp")]
    [InlineData("nbf")]
    [InlineData("iat")]
    public void Time_and_audience_claims_cannot_be_passed_as_extra_claims(string type)
    {
        Assert.Throws<ArgumentException>(() => ServiceJwt.Create(Key, Audience, TimeSpan.FromHours(1), [new(type, "1")], Now));
    }

    [Fact]
    public void Validate_accepts_a_fresh_token_and_returns_its_claims()
    {
        var token = ServiceJwt.Create(Key, Audience, TimeSpan.FromHours(1), [new("asrs.s.uid", "u1"), new("role", "a"), new("role", "b")], Now, "kid-7");

        Assert.True(ServiceJwt.TryValidate(token, [Key], Audience, Now, out var payload, out var error), error);
        Assert.Equal("u1", payload.UserId);
        Assert.Equal(["a", "b"], payload.FindAll("role"));
        Assert.Equal("kid-7", payload.KeyId);
        Assert.Equal(Now.AddHours(1), payload.ExpiresAt);
        Assert.Equal(Now, payload.NotBefore);
        Assert.Equal([Audience], payload.Audiences);
    }

    [Fact]
    public void Validate_accepts_a_token_signed_with_any_of_the_keys()
    {
        var token = ServiceJwt.Create("secondary", Audience, TimeSpan.FromHours(1), null, Now);

        Assert.True(ServiceJwt.TryValidate(token, ["primary", "secondary"], Audience, Now, out _, out _));
    }

    [Fact]
    public void Validate_rejects_a_token_signed_with_another_key()
    {
        var token = ServiceJwt.Create("other", Audience, TimeSpan.FromHours(1), null, Now);

        Assert.False(ServiceJwt.TryValidate(token, [Key], Audience, Now, out _, out var error));
        Assert.Contains("signature", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_rejects_a_tampered_payload()
    {
        var token = ServiceJwt.Create(Key, Audience, TimeSpan.FromHours(1), [new("asrs.s.uid", "u1")], Now);
        var parts = token.Split('.');
        var forged = Jwt.Payload(token).GetRawText().Replace("u1", "admin", StringComparison.Ordinal);
        var tampered = $"{parts[0]}.{Jwt.Encode(forged)}.{parts[2]}";

        Assert.False(ServiceJwt.TryValidate(tampered, [Key], Audience, Now, out _, out _));
    }

    [Theory]
    [InlineData("https://x.service.signalr.net:443/client/?hub=gateway")]
    [InlineData("https://x.service.signalr.net/client/?hub=other")]
    [InlineData("https://x.service.signalr.net/client/?hub=Gateway")]
    public void Validate_requires_an_exact_audience_match(string expected)
    {
        var token = ServiceJwt.Create(Key, Audience, TimeSpan.FromHours(1), null, Now);

        Assert.False(ServiceJwt.TryValidate(token, [Key], expected, Now, out _, out var error));
        Assert.Contains("audience", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_accepts_any_of_several_audiences()
    {
        var token = ServiceJwt.Create(Key, Audience, TimeSpan.FromHours(1), null, Now);

        Assert.True(ServiceJwt.TryValidate(token, [Key], ["https://other/", Audience], Now, ServiceJwt.DefaultClockSkew, out _, out _));
    }

    [Fact]
    public void Validate_tolerates_small_clock_skew_after_expiry()
    {
        var token = ServiceJwt.Create(Key, Audience, TimeSpan.FromMinutes(5), null, Now);

        Assert.True(ServiceJwt.TryValidate(token, [Key], Audience, Now.AddMinutes(5).AddSeconds(29), out _, out _));
        Assert.False(ServiceJwt.TryValidate(token, [Key], Audience, Now.AddMinutes(5).AddSeconds(30), out _, out var error));
        Assert.Contains("expired", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_rejects_a_token_used_before_nbf_beyond_the_skew()
    {
        var token = ServiceJwt.Create(Key, Audience, TimeSpan.FromMinutes(5), null, Now);

        Assert.True(ServiceJwt.TryValidate(token, [Key], Audience, Now.AddSeconds(-29), out _, out _));
        Assert.False(ServiceJwt.TryValidate(token, [Key], Audience, Now.AddSeconds(-31), out _, out var error));
        Assert.Contains("not valid yet", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_rejects_alg_none_even_without_signature()
    {
        var unsigned = $"{Jwt.Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{Jwt.Encode($"{{\"aud\":\"{Audience}\",\"exp\":{Now.AddHours(1).ToUnixTimeSeconds()}}}")}.";

        Assert.False(ServiceJwt.TryValidate(unsigned, [Key], Audience, Now, out _, out _));
    }

    [Fact]
    public void Validate_rejects_a_correctly_signed_token_without_exp()
    {
        var token = SignRaw("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", $"{{\"aud\":\"{Audience}\"}}");

        Assert.False(ServiceJwt.TryValidate(token, [Key], Audience, Now, out _, out var error));
        Assert.Contains("exp", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_rejects_a_correctly_signed_hs512_header()
    {
        var token = SignRaw("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", $"{{\"aud\":\"{Audience}\",\"exp\":{Now.AddHours(1).ToUnixTimeSeconds()}}}");

        Assert.False(ServiceJwt.TryValidate(token, [Key], Audience, Now, out _, out var error));
        Assert.Contains("HS256", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_accepts_an_audience_array_containing_the_expected_audience()
    {
        var token = SignRaw("{\"alg\":\"HS256\"}", $"{{\"aud\":[\"a\",\"{Audience}\"],\"exp\":{Now.AddHours(1).ToUnixTimeSeconds()},\"n\":5,\"o\":{{\"k\":1}}}}");

        Assert.True(ServiceJwt.TryValidate(token, [Key], Audience, Now, out var payload, out var error), error);
        Assert.Equal("5", payload.FindFirst("n"));
        Assert.Equal("{\"k\":1}", payload.FindFirst("o"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("a.b")]
    [InlineData("a.b.c.d")]
    [InlineData("!!!.???.***")]
    [InlineData("é.é.é")]
    [InlineData(".e30.")]
    public void Validate_rejects_garbage_without_throwing(string? token)
    {
        Assert.False(ServiceJwt.TryValidate(token, [Key], Audience, Now, out var payload, out var error));
        Assert.Null(payload);
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Validate_rejects_tokens_longer_than_4096_characters()
    {
        var token = ServiceJwt.Create(Key, Audience, TimeSpan.FromHours(1), [new("big", new string('x', 4000))], Now);

        Assert.True(token.Length > ServiceJwt.MaxTokenLength);
        Assert.False(ServiceJwt.TryValidate(token, [Key], Audience, Now, out _, out _));
    }

    private static string SignRaw(string header, string payload)
    {
        var signed = $"{Jwt.Encode(header)}.{Jwt.Encode(payload)}";
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Key), Encoding.ASCII.GetBytes(signed));
        return $"{signed}.{Base64Url.EncodeToString(mac)}";
    }
}
