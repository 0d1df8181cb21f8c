using FunctionsGateway.Core.Options;
using FunctionsGateway.SignalR.Serverless;
using Microsoft.Extensions.Configuration;

namespace FunctionsGateway.Hosting;

/// <summary>
/// How the gateway reaches its SignalR service, parsed and checked at start-up: an access-key connection string, or
/// Microsoft Entra ID in either convention users know, the SDK's (<c>AzureSignalRConnectionString</c> =
/// <c>Endpoint=…;AuthType=azure.msi;[ClientId=…;]</c>) or the Functions extension's
/// (<c>AzureSignalRConnectionString__serviceUri</c>, <c>__credential</c>, <c>__clientId</c>, <c>__tenantId</c>).
/// The flat connection string wins when both are set, as in the Functions extension.
/// </summary>
public sealed class SignalRServiceOptions
{
    private const string AccessKeyForm = "Endpoint=...;AccessKey=...;Version=1.0;";
    private const string IdentityForm = "Endpoint=https://...;AuthType=azure.msi;[ClientId=...;]Version=1.0;";

    public required SignalRConnectionString Connection { get; init; }

    /// <summary>
    /// Keys an upstream signature may be made with (primary, and a secondary during rotation). Empty under Entra ID:
    /// there is no key, and the upstream is authenticated otherwise.
    /// </summary>
    public required IReadOnlyList<string> AccessKeys { get; init; }

    /// <summary>The identity the gateway authenticates with under Entra ID; null with an access key.</summary>
    public SignalRIdentity? Identity { get; init; }

    public static SignalRServiceOptions FromConfiguration(IConfiguration configuration)
    {
        var raw = configuration[SettingNames.SignalR] ?? configuration.GetConnectionString(SettingNames.SignalR);
        if (!string.IsNullOrWhiteSpace(raw))
        {
            return FromConnectionString(raw, configuration);
        }

        var serviceUri = configuration[SettingNames.ConfigKey(SettingNames.SignalRServiceUri)];
        if (!string.IsNullOrWhiteSpace(serviceUri))
        {
            return FromServiceUri(serviceUri, configuration);
        }

        throw new GatewayConfigurationException(SettingNames.SignalR,
            $"is required, or '{SettingNames.SignalRServiceUri}' is: either a connection string ({AccessKeyForm}, or {IdentityForm} for Microsoft Entra ID), "
            + $"or the service URI with '{SettingNames.SignalRCredential}'=managedidentity and optionally '{SettingNames.SignalRClientId}'. "
            + "The local host serves its own endpoint when neither is set.");
    }

    private static SignalRServiceOptions FromConnectionString(string raw, IConfiguration configuration)
    {
        SignalRConnectionString parsed;
        try
        {
            parsed = SignalRConnectionString.Parse(raw);
        }
        catch (FormatException ex)
        {
            // The parser's messages name keys only, never values.
            throw new GatewayConfigurationException(SettingNames.SignalR, $"is not a valid SignalR connection string: {ex.Message} Expected {AccessKeyForm} or {IdentityForm}");
        }

        if (parsed.AuthType == SignalRAuthType.AccessKey)
        {
            var keys = new List<string> { parsed.AccessKey! };
            var secondary = configuration["Gateway:SecondaryAccessKey"];
            if (!string.IsNullOrEmpty(secondary))
            {
                keys.Add(secondary);
            }

            return new SignalRServiceOptions { Connection = parsed, AccessKeys = keys };
        }

        RequireHttps(parsed.Endpoint, SettingNames.SignalR);
        RequireHttps(parsed.ServerBaseUri, SettingNames.SignalR);
        var kind = parsed.AuthType switch
        {
            SignalRAuthType.AzureMsi => SignalRCredentialKind.ManagedIdentity,
            SignalRAuthType.AzureApp => SignalRCredentialKind.ClientSecret,
            _ => SignalRCredentialKind.DefaultAzureCredential,
        };
        if (kind == SignalRCredentialKind.ClientSecret
            && (string.IsNullOrEmpty(parsed.ClientId) || string.IsNullOrEmpty(parsed.TenantId) || string.IsNullOrEmpty(parsed.ClientSecret)))
        {
            throw new GatewayConfigurationException(SettingNames.SignalR, "has AuthType=azure.app, which needs ClientId, TenantId and ClientSecret (a client certificate is not supported).");
        }

        return WithIdentity(parsed, new SignalRIdentity
        {
            Kind = kind,
            ClientId = Blank(parsed.ClientId),
            TenantId = Blank(parsed.TenantId),
            ClientSecret = parsed.ClientSecret,
            Setting = SettingNames.SignalR,
        });
    }

    private static SignalRServiceOptions FromServiceUri(string serviceUri, IConfiguration configuration)
    {
        var credential = configuration[SettingNames.ConfigKey(SettingNames.SignalRCredential)];
        SignalRCredentialKind kind;
        if (string.IsNullOrWhiteSpace(credential))
        {
            kind = SignalRCredentialKind.DefaultAzureCredential;
        }
        else if (string.Equals(credential.Trim(), "managedidentity", StringComparison.OrdinalIgnoreCase))
        {
            kind = SignalRCredentialKind.ManagedIdentity;
        }
        else
        {
            throw new GatewayConfigurationException(SettingNames.SignalRCredential, "must be 'managedidentity', or unset for DefaultAzureCredential.");
        }

        var clientId = Blank(configuration[SettingNames.ConfigKey(SettingNames.SignalRClientId)]);
        var tenantId = Blank(configuration[SettingNames.ConfigKey(SettingNames.SignalRTenantId)]);
        SignalRConnectionString connection;
        try
        {
            connection = SignalRConnectionString.ForIdentity(
                serviceUri.Trim(),
                kind == SignalRCredentialKind.ManagedIdentity ? SignalRAuthType.AzureMsi : SignalRAuthType.Azure,
                clientId,
                tenantId);
        }
        catch (ArgumentException)
        {
            throw new GatewayConfigurationException(SettingNames.SignalRServiceUri, "is not an absolute https URI (https://<name>.service.signalr.net).");
        }

        RequireHttps(connection.Endpoint, SettingNames.SignalRServiceUri);
        return WithIdentity(connection, new SignalRIdentity { Kind = kind, ClientId = clientId, TenantId = tenantId, Setting = SettingNames.SignalRServiceUri });
    }

    private static SignalRServiceOptions WithIdentity(SignalRConnectionString connection, SignalRIdentity identity)
        => new() { Connection = connection, AccessKeys = [], Identity = identity };

    // Entra tokens are only ever sent over TLS (Azure.Core refuses otherwise): say so at start, not at the first call.
    private static void RequireHttps(Uri endpoint, string setting)
    {
        if (endpoint.Scheme != Uri.UriSchemeHttps)
        {
            throw new GatewayConfigurationException(setting, "names an http endpoint: identity-based access (Microsoft Entra ID) needs https.");
        }
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
