using FunctionsGateway.Core.Options;
using FunctionsGateway.SignalR.Serverless;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Hosting;

/// <summary>
/// The <c>Gateway:Upstream</c> section (<c>Gateway__Upstream__*</c>): the Entra bearer token a keyless SignalR service
/// sends upstream. Kept as strings so that a malformed value fails in the validator, naming the setting as users write it.
/// </summary>
public sealed class UpstreamAuthOptions
{
    public const string Section = "Gateway:Upstream";

    /// <summary>The directory (tenant) id: the tokens' issuers and the default metadata address.</summary>
    public string? TenantId { get; set; }

    /// <summary>The resource the service's managed identity asks a token for: the token's <c>aud</c>, exactly.</summary>
    public string? Audience { get; set; }

    /// <summary>The object (principal) id of the SignalR service's managed identity: the token's <c>oid</c>.</summary>
    public string? PrincipalId { get; set; }

    /// <summary>Optional OpenID metadata URL; when set, the token's issuer must be that document's.</summary>
    public string? MetadataAddress { get; set; }

    /// <summary>True when any of the settings is given: then the bearer path is configured and must be complete.</summary>
    public bool IsConfigured =>
        !string.IsNullOrWhiteSpace(TenantId) || !string.IsNullOrWhiteSpace(Audience)
        || !string.IsNullOrWhiteSpace(PrincipalId) || !string.IsNullOrWhiteSpace(MetadataAddress);

    /// <summary>The validator's settings, or null when the bearer path is not configured. Call after validation.</summary>
    public UpstreamBearerSettings? ToBearerSettings()
    {
        if (!IsConfigured)
        {
            return null;
        }

        Guid? tenant = string.IsNullOrWhiteSpace(TenantId) ? null : Guid.Parse(TenantId.Trim());
        var metadata = string.IsNullOrWhiteSpace(MetadataAddress) ? null : new Uri(MetadataAddress.Trim(), UriKind.Absolute);
        return UpstreamBearerSettings.For(tenant, metadata, Audience!.Trim(), Guid.Parse(PrincipalId!.Trim()));
    }
}

/// <summary>
/// Without an access key (identity mode) the upstream has no signature, so the bearer settings are required; with one
/// they are optional, but complete when given. Every missing or malformed setting is named.
/// </summary>
public sealed class UpstreamAuthOptionsValidator(IServiceProvider services) : IValidateOptions<UpstreamAuthOptions>
{
    public ValidateOptionsResult Validate(string? name, UpstreamAuthOptions options)
        => Validate(options, identityMode: services.GetRequiredService<SignalRServiceOptions>().AccessKeys.Count == 0);

    public static ValidateOptionsResult Validate(UpstreamAuthOptions options, bool identityMode)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!identityMode && !options.IsConfigured)
        {
            return ValidateOptionsResult.Success;
        }

        var why = identityMode
            ? $"is required when {SettingNames.SignalR} has no AccessKey: the service then authenticates upstream requests with a Microsoft Entra token of its managed identity"
            : "is required once any Gateway__Upstream__ setting is given";
        var failures = new List<string>();
        var hasTenant = !string.IsNullOrWhiteSpace(options.TenantId);
        var hasMetadata = !string.IsNullOrWhiteSpace(options.MetadataAddress);
        if (!hasTenant && !hasMetadata)
        {
            failures.Add(SettingProblem.Describe(SettingNames.UpstreamTenantId, $"{why} (or {SettingNames.UpstreamMetadataAddress})."));
        }
        else if (hasTenant && !Guid.TryParse(options.TenantId!.Trim(), out _))
        {
            failures.Add(SettingProblem.Describe(SettingNames.UpstreamTenantId, "must be the directory (tenant) id, a GUID: the token's issuer names it."));
        }

        if (hasMetadata && !UpstreamBearerSettings.IsAllowedMetadataAddress(AbsoluteUri(options.MetadataAddress!)))
        {
            failures.Add(SettingProblem.Describe(SettingNames.UpstreamMetadataAddress,
                "must be an absolute https URL of an OpenID metadata document (plain http only to a loopback address)."));
        }

        if (string.IsNullOrWhiteSpace(options.Audience))
        {
            failures.Add(SettingProblem.Describe(SettingNames.UpstreamAudience, $"{why}: the resource its token is issued for (the token's aud)."));
        }

        if (string.IsNullOrWhiteSpace(options.PrincipalId))
        {
            failures.Add(SettingProblem.Describe(SettingNames.UpstreamPrincipalId, $"{why}: the object id of the SignalR service's managed identity."));
        }
        else if (!Guid.TryParse(options.PrincipalId.Trim(), out _))
        {
            failures.Add(SettingProblem.Describe(SettingNames.UpstreamPrincipalId, "must be the object (principal) id of the SignalR service's managed identity, a GUID."));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static Uri? AbsoluteUri(string value) => Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) ? uri : null;
}
