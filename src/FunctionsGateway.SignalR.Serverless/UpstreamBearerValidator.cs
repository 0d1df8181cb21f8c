using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace FunctionsGateway.SignalR.Serverless;

/// <summary>Why an upstream bearer token was refused (or <see cref="Accepted"/>); a category to log, never the token.</summary>
public enum UpstreamBearerOutcome
{
    /// <summary>The token is valid and names the configured identity.</summary>
    Accepted,

    /// <summary>No <c>Authorization</c> header, or not the <c>Bearer</c> scheme.</summary>
    NoToken,

    /// <summary>Several <c>Authorization</c> headers, an oversized or unreadable token, or an encrypted one.</summary>
    Malformed,

    /// <summary>Anything but RS256 (<c>alg:none</c>, HMAC with a public key as secret, ...).</summary>
    WrongAlgorithm,

    /// <summary>Signed with a key the metadata does not list (this asks for one key refresh, rate-limited).</summary>
    UnknownKey,

    /// <summary>The signature does not verify.</summary>
    BadSignature,

    /// <summary>An <c>iss</c> that is not the tenant's (or the metadata's).</summary>
    WrongIssuer,

    /// <summary>An <c>aud</c> that is not exactly the configured resource.</summary>
    WrongAudience,

    /// <summary>Past <c>exp</c> (beyond the clock skew).</summary>
    Expired,

    /// <summary>Before <c>nbf</c> (beyond the clock skew).</summary>
    NotYetValid,

    /// <summary>No <c>exp</c>, or <c>nbf</c> after <c>exp</c>.</summary>
    BadLifetime,

    /// <summary>No <c>oid</c> claim.</summary>
    NoPrincipal,

    /// <summary>An <c>oid</c> other than the service's managed identity.</summary>
    WrongPrincipal,

    /// <summary>The metadata or its keys could not be read, so nothing can be verified.</summary>
    KeysUnavailable,

    /// <summary>Refused by a check not named above.</summary>
    Invalid,
}

/// <summary>
/// Validates the <c>Authorization: Bearer</c> Entra access token of an upstream request: RS256 signed by a key of the
/// metadata's JWKS, the expected issuer and exact audience, within its lifetime, and with the <c>oid</c> of the SignalR
/// service's managed identity. Keys come from a <see cref="ConfigurationManager{T}"/>: fetched once, refreshed in the
/// background, and an unknown <c>kid</c> asks for one refresh that the manager rate-limits (never a fetch per request).
/// </summary>
public sealed class UpstreamBearerValidator : IDisposable
{
    /// <summary>Entra access tokens are a few KiB; anything far larger is not one.</summary>
    public const int MaxTokenLength = 16 * 1024;

    /// <summary>After the metadata could not be read (before any was), requests are refused this long without asking again.</summary>
    public static readonly TimeSpan MetadataRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long an accepted token is taken on trust before it is verified again (never past its <c>exp</c>). The service
    /// sends the same token with every request until it renews it, and a signature check costs ~150 µs per call.
    /// </summary>
    public static readonly TimeSpan AcceptedTokenReuse = TimeSpan.FromMinutes(5);

    // Few distinct tokens are live at once (one per service instance); the cap only bounds a flood of valid ones.
    private const int MaxRememberedTokens = 256;

    private const string BearerPrefix = "Bearer ";
    private const string ObjectIdClaim = "oid";

    private readonly UpstreamBearerSettings settings;
    private readonly ConfigurationManager<OpenIdConnectConfiguration> metadata;
    private readonly JsonWebTokenHandler handler = new() { MaximumTokenSizeInBytes = MaxTokenLength };
    private readonly TimeProvider time;
    private readonly HttpClient? ownedClient;
    private long metadataRetryAfterTicks;
    private readonly ConcurrentDictionary<string, long> acceptedUntilTicks = new(StringComparer.Ordinal);
    private long verifications;

    /// <param name="settings">What to accept.</param>
    /// <param name="httpClient">For the metadata and its keys; when null the validator makes (and disposes) its own.</param>
    /// <param name="time">The clock for the metadata retry delay and for how long an accepted token is remembered (token
    /// lifetimes are checked against the system clock).</param>
    public UpstreamBearerValidator(UpstreamBearerSettings settings, HttpClient? httpClient = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrWhiteSpace(settings.Audience);
        if (!UpstreamBearerSettings.IsAllowedMetadataAddress(settings.MetadataAddress))
        {
            throw new ArgumentException("the metadata address must be https (plain http only to a loopback address)", nameof(settings));
        }

        this.settings = settings;
        this.time = time ?? TimeProvider.System;
        if (httpClient is null)
        {
            // Long-lived, so DNS changes are picked up by recycling connections rather than the client.
            ownedClient = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(10) };
        }

        var retriever = new HttpDocumentRetriever(httpClient ?? ownedClient!)
        {
            RequireHttps = settings.MetadataAddress.Scheme == Uri.UriSchemeHttps,
        };
        metadata = new ConfigurationManager<OpenIdConnectConfiguration>(
            settings.MetadataAddress.AbsoluteUri, new OpenIdConnectConfigurationRetriever(), retriever);
    }

    /// <summary>How many tokens were verified (signature and claims), rather than recognised as already accepted.</summary>
    internal long Verifications => Interlocked.Read(ref verifications);

    /// <summary>The metadata document the keys come from.</summary>
    public Uri MetadataAddress => settings.MetadataAddress;

    /// <summary>The token of an <c>Authorization: Bearer</c> header, or the reason there is none usable.</summary>
    public static UpstreamBearerOutcome TryReadToken(IHeaderDictionary headers, out string token)
    {
        ArgumentNullException.ThrowIfNull(headers);
        token = string.Empty;
        var values = headers.Authorization;
        if (values.Count == 0)
        {
            return UpstreamBearerOutcome.NoToken;
        }

        if (values.Count > 1)
        {
            return UpstreamBearerOutcome.Malformed;
        }

        var value = values[0];
        if (value is null || !value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return UpstreamBearerOutcome.NoToken;
        }

        token = value[BearerPrefix.Length..].Trim();
        return token.Length == 0 ? UpstreamBearerOutcome.NoToken : UpstreamBearerOutcome.Accepted;
    }

    /// <summary>Validates the bearer token of <paramref name="headers"/>; never throws on bad input.</summary>
    public async Task<UpstreamBearerOutcome> ValidateAsync(IHeaderDictionary headers, CancellationToken cancellationToken)
    {
        var read = TryReadToken(headers, out var token);
        return read == UpstreamBearerOutcome.Accepted ? await ValidateAsync(token, cancellationToken) : read;
    }

    /// <summary>Validates one compact token; never throws on bad input.</summary>
    public async Task<UpstreamBearerOutcome> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token))
        {
            return UpstreamBearerOutcome.NoToken;
        }

        var now = time.GetUtcNow();
        if (acceptedUntilTicks.TryGetValue(token, out var until) && now.UtcTicks < until)
        {
            return UpstreamBearerOutcome.Accepted;
        }

        if (token.Length > MaxTokenLength || !TryRead(token, out var jwt) || jwt.IsEncrypted)
        {
            return UpstreamBearerOutcome.Malformed;
        }

        // Before any key is looked at: an unsigned or HMAC token never reaches the key material.
        if (!string.Equals(jwt.Alg, SecurityAlgorithms.RsaSha256, StringComparison.Ordinal))
        {
            return UpstreamBearerOutcome.WrongAlgorithm;
        }

        var configuration = await GetMetadataAsync(cancellationToken);
        if (configuration is null || string.IsNullOrEmpty(configuration.Issuer))
        {
            return UpstreamBearerOutcome.KeysUnavailable;
        }

        if (!string.IsNullOrEmpty(jwt.Kid) && !configuration.SigningKeys.Any(k => string.Equals(k.KeyId, jwt.Kid, StringComparison.Ordinal)))
        {
            // The keys may have rolled over: ask for a refresh (in the background, at most once per RefreshInterval).
            metadata.RequestRefresh();
            return UpstreamBearerOutcome.UnknownKey;
        }

        Interlocked.Increment(ref verifications);
        var result = await handler.ValidateTokenAsync(jwt, Parameters(configuration));
        if (!result.IsValid)
        {
            return Classify(result.Exception);
        }

        if (!jwt.TryGetPayloadValue<string>(ObjectIdClaim, out var oid) || string.IsNullOrEmpty(oid))
        {
            return UpstreamBearerOutcome.NoPrincipal;
        }

        if (!Guid.TryParse(oid, out var objectId) || objectId != settings.PrincipalId)
        {
            return UpstreamBearerOutcome.WrongPrincipal;
        }

        Remember(token, now, jwt.ValidTo);
        return UpstreamBearerOutcome.Accepted;
    }

    public void Dispose() => ownedClient?.Dispose();

    private void Remember(string token, DateTimeOffset now, DateTime validTo)
    {
        if (acceptedUntilTicks.Count >= MaxRememberedTokens)
        {
            acceptedUntilTicks.Clear();
        }

        var expires = new DateTimeOffset(DateTime.SpecifyKind(validTo, DateTimeKind.Utc)).UtcTicks;
        acceptedUntilTicks[token] = Math.Min((now + AcceptedTokenReuse).UtcTicks, expires);
    }

    private TokenValidationParameters Parameters(OpenIdConnectConfiguration configuration) => new()
    {
        ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
        RequireSignedTokens = true,
        IssuerSigningKeys = configuration.SigningKeys,
        TryAllIssuerSigningKeys = false,
        ValidateIssuer = true,
        ValidIssuers = settings.ValidIssuers.Count > 0 ? settings.ValidIssuers : [configuration.Issuer],
        ValidateAudience = true,
        RequireAudience = true,
        ValidAudience = settings.Audience,
        IgnoreTrailingSlashWhenValidatingAudience = false,
        ValidateLifetime = true,
        RequireExpirationTime = true,
        ClockSkew = settings.ClockSkew,
        ValidateTokenReplay = false,
        LogValidationExceptions = false,
    };

    private async Task<OpenIdConnectConfiguration?> GetMetadataAsync(CancellationToken cancellationToken)
    {
        // Until the first fetch succeeds the manager would fetch on every call: a failure holds requests off for a while.
        var now = time.GetUtcNow().UtcTicks;
        if (now < Volatile.Read(ref metadataRetryAfterTicks))
        {
            return null;
        }

        try
        {
            return await metadata.GetConfigurationAsync(cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            Volatile.Write(ref metadataRetryAfterTicks, now + MetadataRetryDelay.Ticks);
            return null;
        }
    }

    private bool TryRead(string token, out JsonWebToken jwt)
    {
        try
        {
            jwt = handler.ReadJsonWebToken(token);
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenException or FormatException or System.Text.Json.JsonException)
        {
            jwt = null!;
            return false;
        }
    }

    private static UpstreamBearerOutcome Classify(Exception? exception) => exception switch
    {
        SecurityTokenSignatureKeyNotFoundException => UpstreamBearerOutcome.UnknownKey,
        SecurityTokenInvalidAlgorithmException => UpstreamBearerOutcome.WrongAlgorithm,
        SecurityTokenInvalidSignatureException => UpstreamBearerOutcome.BadSignature,
        SecurityTokenInvalidIssuerException => UpstreamBearerOutcome.WrongIssuer,
        SecurityTokenInvalidAudienceException => UpstreamBearerOutcome.WrongAudience,
        SecurityTokenExpiredException => UpstreamBearerOutcome.Expired,
        SecurityTokenNotYetValidException => UpstreamBearerOutcome.NotYetValid,
        SecurityTokenNoExpirationException or SecurityTokenInvalidLifetimeException => UpstreamBearerOutcome.BadLifetime,
        SecurityTokenMalformedException => UpstreamBearerOutcome.Malformed,
        _ => UpstreamBearerOutcome.Invalid,
    };
}
