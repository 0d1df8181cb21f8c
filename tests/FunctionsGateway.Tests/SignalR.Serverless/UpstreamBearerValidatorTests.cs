using FunctionsGateway.SignalR.Serverless;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace FunctionsGateway.Tests.SignalR.Serverless;

/// <summary>
/// The upstream's Entra bearer check against a local OpenID issuer (metadata and JWKS over a real socket): each claim it
/// checks, refused alone while everything else about the token is right.
/// </summary>
public sealed class UpstreamBearerValidatorTests
{
    private static readonly Guid Tenant = Guid.Parse("2b5d1f0e-7c4a-4e9b-a1d3-5f6e7a8b9c0d");

    [Fact]
    public async Task A_valid_token_is_accepted()
    {
        await using var issuer = await LocalOpenIdIssuer.StartAsync();
        using var validator = Validator(issuer);

        Assert.Equal(UpstreamBearerOutcome.Accepted, await validator.ValidateAsync(issuer.Mint(), default));
    }

    [Fact]
    public async Task The_oid_is_compared_as_a_guid_so_its_case_does_not_matter()
    {
        await using var issuer = await LocalOpenIdIssuer.StartAsync();
        using var validator = Validator(issuer);
        var claims = issuer.ValidClaims();
        claims["oid"] = LocalOpenIdIssuer.PrincipalId.ToString().ToUpperInvariant();

        Assert.Equal(UpstreamBearerOutcome.Accepted, await validator.ValidateAsync(issuer.Mint(claims), default));
    }

    [Theory]
    [InlineData(TokenDefect.WrongAudience, UpstreamBearerOutcome.WrongAudience)]
    [InlineData(TokenDefect.AudienceWithTrailingSlash, UpstreamBearerOutcome.WrongAudience)]
    [InlineData(TokenDefect.WrongIssuer, UpstreamBearerOutcome.WrongIssuer)]
    [InlineData(TokenDefect.Expired, UpstreamBearerOutcome.Expired)]
    [InlineData(TokenDefect.NotYetValid, UpstreamBearerOutcome.NotYetValid)]
    [InlineData(TokenDefect.NoExpiry, UpstreamBearerOutcome.BadLifetime)]
    [InlineData(TokenDefect.AlgNone, UpstreamBearerOutcome.WrongAlgorithm)]
    [InlineData(TokenDefect.Hmac, UpstreamBearerOutcome.WrongAlgorithm)]
    [InlineData(TokenDefect.UnknownKey, UpstreamBearerOutcome.UnknownKey)]
    [InlineData(TokenDefect.ForgedSignature, UpstreamBearerOutcome.BadSignature)]
    [InlineData(TokenDefect.NoOid, UpstreamBearerOutcome.NoPrincipal)]
    [InlineData(TokenDefect.AnotherOid, UpstreamBearerOutcome.WrongPrincipal)]
    [InlineData(TokenDefect.OidNotAGuid, UpstreamBearerOutcome.WrongPrincipal)]
    public async Task A_token_with_one_defect_is_refused_with_its_reason(TokenDefect defect, UpstreamBearerOutcome expected)
    {
        await using var issuer = await LocalOpenIdIssuer.StartAsync();
        using var validator = Validator(issuer);

        var outcome = await validator.ValidateAsync(issuer.Defective(defect), default);

        Assert.Equal(expected, outcome);
    }

    [Fact]
    public async Task With_a_tenant_its_v1_and_v2_issuers_are_accepted_and_another_tenants_are_not()
    {
        await using var issuer = await LocalOpenIdIssuer.StartAsync();
        using var validator = new UpstreamBearerValidator(new UpstreamBearerSettings
        {
            MetadataAddress = issuer.MetadataAddress,
            ValidIssuers = UpstreamBearerSettings.TenantIssuers(Tenant),
            Audience = LocalOpenIdIssuer.Audience,
            PrincipalId = LocalOpenIdIssuer.PrincipalId,
        }, issuer.Http);

        Assert.Equal(UpstreamBearerOutcome.Accepted, await validator.ValidateAsync(issuer.Mint(WithIssuer(issuer, $"https://sts.windows.net/{Tenant}/")), default));
        Assert.Equal(UpstreamBearerOutcome.Accepted, await validator.ValidateAsync(issuer.Mint(WithIssuer(issuer, $"https://login.microsoftonline.com/{Tenant}/v2.0")), default));
        Assert.Equal(UpstreamBearerOutcome.WrongIssuer, await validator.ValidateAsync(issuer.Mint(WithIssuer(issuer, $"https://sts.windows.net/{Guid.NewGuid()}/")), default));
        Assert.Equal(UpstreamBearerOutcome.WrongIssuer, await validator.ValidateAsync(issuer.Mint(), default));
    }

    [Fact]
    public async Task A_tenant_alone_means_its_entra_metadata_and_issuers()
    {
        var settings = UpstreamBearerSettings.For(Tenant, null, "api://x", Guid.NewGuid());

        Assert.Equal($"https://login.microsoftonline.com/{Tenant}/v2.0/.well-known/openid-configuration", settings.MetadataAddress.AbsoluteUri);
        Assert.Equal([$"https://sts.windows.net/{Tenant}/", $"https://login.microsoftonline.com/{Tenant}/v2.0"], settings.ValidIssuers);

        // A metadata address of one's own: only that document's issuer.
        await using var issuer = await LocalOpenIdIssuer.StartAsync();
        Assert.Empty(UpstreamBearerSettings.For(Tenant, issuer.MetadataAddress, "api://x", Guid.NewGuid()).ValidIssuers);
    }

    [Fact]
    public async Task An_unknown_key_asks_for_one_refresh_which_brings_a_rotated_key_in_and_more_unknown_keys_ask_for_none()
    {
        await using var issuer = await LocalOpenIdIssuer.StartAsync();
        using var validator = Validator(issuer);
        Assert.Equal(UpstreamBearerOutcome.Accepted, await validator.ValidateAsync(issuer.Mint(), default));
        Assert.Equal(1, issuer.KeyFetches);

        // The issuer rolls over to a key the validator has not seen.
        using var rolled = new IssuerKey("key-2");
        issuer.Publish(issuer.Key, rolled);
        Assert.Equal(UpstreamBearerOutcome.UnknownKey, await validator.ValidateAsync(issuer.Mint(key: rolled), default));
        await Until.TrueAsync(() => issuer.KeyFetches == 2, "the unknown kid refreshed the keys");
        await Until.TrueAsync(async () => await validator.ValidateAsync(issuer.Mint(key: rolled), default) == UpstreamBearerOutcome.Accepted,
            "the rolled-over key was accepted after the refresh");

        // Within the refresh interval, unknown keys are refused without another fetch.
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(UpstreamBearerOutcome.UnknownKey, await validator.ValidateAsync(issuer.Mint(key: issuer.Stranger), default));
        }

        // The refresh would run in the background: give it ample time to show up before concluding it never started.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.Equal(2, issuer.KeyFetches);
        Assert.Equal(2, issuer.MetadataFetches);
    }

    [Fact]
    public async Task An_accepted_token_is_not_verified_again_until_the_reuse_window_ends()
    {
        await using var issuer = await LocalOpenIdIssuer.StartAsync();
        var clock = new FixedTimeProvider(DateTimeOffset.UtcNow);
        using var validator = Validator(issuer, clock);
        var token = issuer.Mint();

        Assert.Equal(UpstreamBearerOutcome.Accepted, await validator.ValidateAsync(token, default));
        Assert.Equal(UpstreamBearerOutcome.Accepted, await validator.ValidateAsync(token, default));
        Assert.Equal(1, validator.Verifications);

        clock.Now += UpstreamBearerValidator.AcceptedTokenReuse;
        Assert.Equal(UpstreamBearerOutcome.Accepted, await validator.ValidateAsync(token, default));
        Assert.Equal(2, validator.Verifications);
    }

    [Fact]
    public async Task A_remembered_token_is_verified_again_once_its_own_expiry_passes_and_refusals_are_never_remembered()
    {
        await using var issuer = await LocalOpenIdIssuer.StartAsync();
        var clock = new FixedTimeProvider(DateTimeOffset.UtcNow);
        using var validator = Validator(issuer, clock);
        var claims = issuer.ValidClaims();
        claims["exp"] = DateTimeOffset.UtcNow.AddMinutes(2).ToUnixTimeSeconds();
        var shortLived = issuer.Mint(claims);
        var wrong = issuer.Defective(TokenDefect.AnotherOid);

        Assert.Equal(UpstreamBearerOutcome.Accepted, await validator.ValidateAsync(shortLived, default));
        Assert.Equal(UpstreamBearerOutcome.WrongPrincipal, await validator.ValidateAsync(wrong, default));
        Assert.Equal(UpstreamBearerOutcome.WrongPrincipal, await validator.ValidateAsync(wrong, default));
        Assert.Equal(3, validator.Verifications);

        clock.Now += TimeSpan.FromMinutes(3);
        await validator.ValidateAsync(shortLived, default);
        Assert.Equal(4, validator.Verifications);
    }

    [Fact]
    public async Task Unreadable_metadata_refuses_every_token_and_is_asked_again_only_after_the_retry_delay()
    {
        await using var issuer = await LocalOpenIdIssuer.StartAsync();
        issuer.Available = false;
        var clock = new FixedTimeProvider(DateTimeOffset.UtcNow);
        using var validator = Validator(issuer, clock);

        Assert.Equal(UpstreamBearerOutcome.KeysUnavailable, await validator.ValidateAsync(issuer.Mint(), default));
        var fetches = issuer.MetadataFetches;
        Assert.True(fetches >= 1);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(UpstreamBearerOutcome.KeysUnavailable, await validator.ValidateAsync(issuer.Mint(), default));
        }

        Assert.Equal(fetches, issuer.MetadataFetches);

        issuer.Available = true;
        clock.Now += UpstreamBearerValidator.MetadataRetryDelay;
        Assert.Equal(UpstreamBearerOutcome.Accepted, await validator.ValidateAsync(issuer.Mint(), default));
    }

    [Theory]
    [InlineData(null, UpstreamBearerOutcome.NoToken)]
    [InlineData("Basic dXNlcjpwYXNz", UpstreamBearerOutcome.NoToken)]
    [InlineData("Bearer ", UpstreamBearerOutcome.NoToken)]
    [InlineData("Bearer not-a-jwt", UpstreamBearerOutcome.Malformed)]
    [InlineData("Bearer a.b.c", UpstreamBearerOutcome.Malformed)]
    public async Task A_header_without_a_usable_bearer_token_is_refused_before_any_key_is_fetched(string? authorization, UpstreamBearerOutcome expected)
    {
        await using var issuer = await LocalOpenIdIssuer.StartAsync();
        using var validator = Validator(issuer);
        IHeaderDictionary headers = new HeaderDictionary();
        if (authorization is not null)
        {
            headers.Authorization = authorization;
        }

        Assert.Equal(expected, await validator.ValidateAsync(headers, default));
        Assert.Equal(0, issuer.MetadataFetches);
    }

    [Fact]
    public async Task Two_authorization_headers_or_an_oversized_token_are_malformed()
    {
        await using var issuer = await LocalOpenIdIssuer.StartAsync();
        using var validator = Validator(issuer);
        var token = issuer.Mint();

        Assert.Equal(UpstreamBearerOutcome.Malformed, await validator.ValidateAsync(new HeaderDictionary { ["Authorization"] = new StringValues(["Bearer " + token, "Bearer " + token]) }, default));
        var claims = issuer.ValidClaims();
        claims["padding"] = new string('x', UpstreamBearerValidator.MaxTokenLength);
        Assert.Equal(UpstreamBearerOutcome.Malformed, await validator.ValidateAsync(issuer.Mint(claims), default));
        Assert.Equal(UpstreamBearerOutcome.Accepted, await validator.ValidateAsync(new HeaderDictionary { ["Authorization"] = "bearer " + token }, default));
    }

    [Theory]
    [InlineData("http://login.example.com/tenant/v2.0/.well-known/openid-configuration")]
    [InlineData("http://10.0.0.1/.well-known/openid-configuration")]
    [InlineData("ftp://127.0.0.1/.well-known/openid-configuration")]
    public void Metadata_must_be_https_except_on_loopback(string address)
    {
        Assert.False(UpstreamBearerSettings.IsAllowedMetadataAddress(new Uri(address)));
        Assert.Throws<ArgumentException>(() => new UpstreamBearerValidator(new UpstreamBearerSettings
        {
            MetadataAddress = new Uri(address),
            Audience = "api://x",
            PrincipalId = Guid.NewGuid(),
        }));
        Assert.True(UpstreamBearerSettings.IsAllowedMetadataAddress(new Uri("https://login.microsoftonline.com/x/v2.0/.well-known/openid-configuration")));
        Assert.True(UpstreamBearerSettings.IsAllowedMetadataAddress(new Uri("http://127.0.0.1:5000/.well-known/openid-configuration")));
    }

    internal static UpstreamBearerValidator Validator(LocalOpenIdIssuer issuer, TimeProvider? clock = null) => new(
        UpstreamBearerSettings.For(null, issuer.MetadataAddress, LocalOpenIdIssuer.Audience, LocalOpenIdIssuer.PrincipalId), issuer.Http, clock);

    private static Dictionary<string, object?> WithIssuer(LocalOpenIdIssuer issuer, string iss)
    {
        var claims = issuer.ValidClaims();
        claims["iss"] = iss;
        return claims;
    }

}
