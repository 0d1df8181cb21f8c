using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Tests.SignalR.Serverless;

/// <summary>The one thing wrong with a token that is otherwise right.</summary>
public enum TokenDefect
{
    WrongAudience,
    AudienceWithTrailingSlash,
    WrongIssuer,
    Expired,
    NotYetValid,
    NoExpiry,
    AlgNone,
    Hmac,
    UnknownKey,
    ForgedSignature,
    NoOid,
    AnotherOid,
    OidNotAGuid,
}

/// <summary>An RSA signing key of the test issuer, with its <c>kid</c>.</summary>
public sealed class IssuerKey(string kid) : IDisposable
{
    public string Kid { get; } = kid;

    public RSA Rsa { get; } = RSA.Create(2048);

    public object Jwk()
    {
        var p = Rsa.ExportParameters(false);
        return new { kty = "RSA", use = "sig", alg = "RS256", kid = Kid, n = Base64Url.EncodeToString(p.Modulus), e = Base64Url.EncodeToString(p.Exponent) };
    }

    public void Dispose() => Rsa.Dispose();
}

/// <summary>
/// A local OpenID issuer: a Kestrel listener on 127.0.0.1 (a free port) serving <c>/.well-known/openid-configuration</c>
/// and a JWKS with RSA keys made here, counting each fetch, and minting tokens as Entra mints them for a managed
/// identity (RS256, <c>iss</c>, <c>aud</c>, <c>oid</c>, <c>nbf</c>/<c>exp</c>).
/// </summary>
public sealed class LocalOpenIdIssuer : IAsyncDisposable
{
    public const string Audience = "api://functions-gateway-upstream-test";

    public static readonly Guid PrincipalId = Guid.Parse("6f1c2b4e-9a3d-4c71-8e25-0b9d7f3a1c58");

    private readonly WebApplication app;
    private IssuerKey[] published;
    private int metadataFetches;
    private int keyFetches;

    private LocalOpenIdIssuer(WebApplication app, IssuerKey key)
    {
        this.app = app;
        Key = key;
        published = [key];
    }

    /// <summary>http://127.0.0.1:port/</summary>
    public Uri BaseUrl { get; private set; } = null!;

    public Uri MetadataAddress => new(BaseUrl, "tenant/v2.0/.well-known/openid-configuration");

    /// <summary>The metadata's <c>issuer</c>.</summary>
    public string Issuer => new Uri(BaseUrl, "tenant/v2.0").AbsoluteUri;

    /// <summary>The first published key, the one <see cref="Mint"/> signs with unless told otherwise.</summary>
    public IssuerKey Key { get; }

    /// <summary>A key this issuer never publishes.</summary>
    public IssuerKey Stranger { get; } = new("key-stranger");

    public int MetadataFetches => Volatile.Read(ref metadataFetches);

    public int KeyFetches => Volatile.Read(ref keyFetches);

    /// <summary>While false, the metadata answers 503.</summary>
    public bool Available { get; set; } = true;

    /// <summary>A client that never goes through a proxy, for the validator under test.</summary>
    public HttpClient Http { get; } = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

    public static async Task<LocalOpenIdIssuer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var issuer = new LocalOpenIdIssuer(app, new IssuerKey("key-1"));
        app.MapGet("/tenant/v2.0/.well-known/openid-configuration", (HttpContext _) =>
        {
            Interlocked.Increment(ref issuer.metadataFetches);
            return issuer.Available
                ? Results.Json(new { issuer = issuer.Issuer, jwks_uri = new Uri(issuer.BaseUrl, "tenant/discovery/v2.0/keys").AbsoluteUri, id_token_signing_alg_values_supported = new[] { "RS256" } })
                : Results.StatusCode(503);
        });
        app.MapGet("/tenant/discovery/v2.0/keys", () =>
        {
            Interlocked.Increment(ref issuer.keyFetches);
            return Results.Json(new { keys = Volatile.Read(ref issuer.published).Select(k => k.Jwk()).ToArray() });
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        issuer.BaseUrl = new Uri(address.TrimEnd('/') + "/");
        return issuer;
    }

    /// <summary>From now on the JWKS lists exactly these keys.</summary>
    public void Publish(params IssuerKey[] keys) => Volatile.Write(ref published, keys);

    /// <summary>The claims of a valid token for <see cref="Audience"/> and <see cref="PrincipalId"/>, to edit before minting.</summary>
    public Dictionary<string, object?> ValidClaims()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return new()
        {
            ["aud"] = Audience,
            ["iss"] = Issuer,
            ["iat"] = now - 60,
            ["nbf"] = now - 60,
            ["exp"] = now + 3600,
            ["oid"] = PrincipalId.ToString(),
            ["sub"] = PrincipalId.ToString(),
            ["idtyp"] = "app",
        };
    }

    /// <summary>
    /// A compact JWT: <paramref name="claims"/> (null values left out), RS256-signed by <paramref name="key"/>
    /// (default <see cref="Key"/>), whose <c>kid</c> the header names unless <paramref name="kid"/> says otherwise.
    /// </summary>
    public string Mint(Dictionary<string, object?>? claims = null, IssuerKey? key = null, string? kid = null)
    {
        key ??= Key;
        var header = Segment(new Dictionary<string, object?> { ["alg"] = "RS256", ["kid"] = kid ?? key.Kid, ["typ"] = "JWT" });
        var signingInput = header + "." + Segment(claims ?? ValidClaims());
        var signature = key.Rsa.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>A token with a header of one's own and the given signature bytes (<c>alg:none</c> has none).</summary>
    public string Unsigned(Dictionary<string, object?> header, Dictionary<string, object?>? claims = null, byte[]? signature = null)
        => Segment(header) + "." + Segment(claims ?? ValidClaims()) + "." + (signature is null ? string.Empty : Base64Url.EncodeToString(signature));

    /// <summary>A token that is right in every way but one.</summary>
    public string Defective(TokenDefect defect)
    {
        var claims = ValidClaims();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        switch (defect)
        {
            case TokenDefect.WrongAudience:
                claims["aud"] = "api://another-resource";
                break;
            case TokenDefect.AudienceWithTrailingSlash:
                claims["aud"] = Audience + "/";
                break;
            case TokenDefect.WrongIssuer:
                claims["iss"] = $"https://sts.windows.net/{Guid.NewGuid()}/";
                break;
            case TokenDefect.Expired:
                (claims["nbf"], claims["iat"], claims["exp"]) = (now - 7200, now - 7200, now - 600);
                break;
            case TokenDefect.NotYetValid:
                claims["nbf"] = now + 600;
                break;
            case TokenDefect.NoExpiry:
                claims["exp"] = null;
                break;
            case TokenDefect.AlgNone:
                return Unsigned(new() { ["alg"] = "none", ["typ"] = "JWT" }, claims);
            case TokenDefect.Hmac:
                // The classic confusion: the public key's bytes used as an HMAC secret.
                var header = new Dictionary<string, object?> { ["alg"] = "HS256", ["kid"] = Key.Kid, ["typ"] = "JWT" };
                var mac = HMACSHA256.HashData(Key.Rsa.ExportSubjectPublicKeyInfo(), Encoding.ASCII.GetBytes(Unsigned(header, claims).TrimEnd('.')));
                return Unsigned(header, claims, mac);
            case TokenDefect.UnknownKey:
                return Mint(claims, Stranger);
            case TokenDefect.ForgedSignature:
                return Mint(claims, Stranger, kid: Key.Kid);
            case TokenDefect.NoOid:
                claims["oid"] = null;
                break;
            case TokenDefect.AnotherOid:
                claims["oid"] = Guid.NewGuid().ToString();
                break;
            case TokenDefect.OidNotAGuid:
                claims["oid"] = "not-a-guid";
                break;
        }

        return Mint(claims);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        Http.Dispose();
        Key.Dispose();
        Stranger.Dispose();
    }

    private static string Segment(Dictionary<string, object?> values)
        => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(values.Where(v => v.Value is not null).ToDictionary()));
}
