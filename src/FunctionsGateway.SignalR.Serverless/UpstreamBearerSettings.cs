namespace FunctionsGateway.SignalR.Serverless;

/// <summary>
/// What <see cref="UpstreamBearerValidator"/> accepts: the Microsoft Entra access token that a SignalR service with
/// managed-identity upstream authentication sends as <c>Authorization: Bearer</c> (it has no access key to sign with).
/// </summary>
public sealed class UpstreamBearerSettings
{
    /// <summary>Tolerance on <c>exp</c> and <c>nbf</c>: clocks of Azure hosts are close; a token is good for an hour or more.</summary>
    public static readonly TimeSpan DefaultClockSkew = TimeSpan.FromMinutes(1);

    /// <summary>The OpenID metadata document: its <c>issuer</c> and <c>jwks_uri</c> (the signing keys).</summary>
    public required Uri MetadataAddress { get; init; }

    /// <summary>The accepted <c>iss</c> values; empty means the metadata document's own <c>issuer</c>.</summary>
    public IReadOnlyList<string> ValidIssuers { get; init; } = [];

    /// <summary>The token's <c>aud</c>, compared exactly: the resource the service's identity asks a token for.</summary>
    public required string Audience { get; init; }

    /// <summary>The object id of the service's managed identity: the token's <c>oid</c>.</summary>
    public required Guid PrincipalId { get; init; }

    /// <summary>Tolerance on the token's lifetime.</summary>
    public TimeSpan ClockSkew { get; init; } = DefaultClockSkew;

    /// <summary>Entra's metadata for a tenant (the v2.0 document: its keys sign v1 tokens too).</summary>
    public static Uri TenantMetadataAddress(Guid tenantId)
        => new($"https://login.microsoftonline.com/{tenantId:D}/v2.0/.well-known/openid-configuration");

    /// <summary>
    /// The issuers of a tenant's access tokens: v1 (<c>sts.windows.net</c>, what managed identities usually get) and v2.
    /// </summary>
    public static IReadOnlyList<string> TenantIssuers(Guid tenantId)
        => [$"https://sts.windows.net/{tenantId:D}/", $"https://login.microsoftonline.com/{tenantId:D}/v2.0"];

    /// <summary>
    /// Settings for tokens of one tenant: its issuers and its metadata, or, with <paramref name="metadataAddress"/>,
    /// that document's metadata and only its issuer.
    /// </summary>
    public static UpstreamBearerSettings For(Guid? tenantId, Uri? metadataAddress, string audience, Guid principalId)
    {
        if (metadataAddress is not null)
        {
            return new UpstreamBearerSettings { MetadataAddress = metadataAddress, Audience = audience, PrincipalId = principalId };
        }

        var tenant = tenantId ?? throw new ArgumentException("a tenant id or a metadata address is needed", nameof(tenantId));
        return new UpstreamBearerSettings
        {
            MetadataAddress = TenantMetadataAddress(tenant),
            ValidIssuers = TenantIssuers(tenant),
            Audience = audience,
            PrincipalId = principalId,
        };
    }

    /// <summary>
    /// An absolute https URL, or plain http to a loopback address (a local test issuer): keys fetched over plain http
    /// from anywhere else could be swapped in transit.
    /// </summary>
    public static bool IsAllowedMetadataAddress(Uri? address)
        => address is { IsAbsoluteUri: true }
            && (address.Scheme == Uri.UriSchemeHttps || (address.Scheme == Uri.UriSchemeHttp && address.IsLoopback));
}
