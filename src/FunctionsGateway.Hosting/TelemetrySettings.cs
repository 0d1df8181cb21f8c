using Azure.Core;
using Azure.Identity;
using FunctionsGateway.Core.Options;
using Microsoft.Extensions.Configuration;

namespace FunctionsGateway.Hosting;

/// <summary>
/// Where telemetry goes, from the standard settings (docs/telemetry.md): Azure Monitor when
/// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set, signed in with a managed identity when
/// <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> says <c>Authorization=AAD</c>; OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set. Neither: no exporter, and no OpenTelemetry SDK at all.
/// </summary>
public sealed class TelemetrySettings
{
    public const string EntraAuthorization = "AAD";

    public string? AzureMonitorConnectionString { get; init; }

    /// <summary>Sign in to Application Insights with a managed identity (the resource may have local auth disabled).</summary>
    public bool AzureMonitorUsesEntra { get; init; }

    /// <summary>The user-assigned identity's client id (<c>ClientId=</c>); null for the system-assigned one.</summary>
    public string? AzureMonitorClientId { get; init; }

    public Uri? OtlpEndpoint { get; init; }

    public bool AzureMonitor => AzureMonitorConnectionString is not null;

    public bool Otlp => OtlpEndpoint is not null;

    public static TelemetrySettings FromConfiguration(IConfiguration configuration)
    {
        var connectionString = Value(configuration, SettingNames.AppInsightsConnectionString);
        var (entra, clientId) = ParseAuthentication(Value(configuration, SettingNames.AppInsightsAuthenticationString));
        var otlp = Value(configuration, SettingNames.OtlpEndpoint);
        Uri? endpoint = null;
        if (otlp is not null && (!Uri.TryCreate(otlp, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https")))
        {
            throw new GatewayConfigurationException(SettingNames.OtlpEndpoint, "must be an absolute http(s) URL, e.g. http://localhost:4317.");
        }

        return new TelemetrySettings
        {
            AzureMonitorConnectionString = connectionString,
            AzureMonitorUsesEntra = entra,
            AzureMonitorClientId = clientId,
            OtlpEndpoint = endpoint,
        };
    }

    /// <summary>The exporter's credential: a managed identity under Entra, else none (the connection string's key).</summary>
    public TokenCredential? AzureMonitorCredential()
        => !AzureMonitorUsesEntra ? null
            : new ManagedIdentityCredential(AzureMonitorClientId is null ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(AzureMonitorClientId));

    /// <summary><c>Authorization=AAD[;ClientId=&lt;guid&gt;]</c>, the form the Functions host reads as well.</summary>
    internal static (bool Entra, string? ClientId) ParseAuthentication(string? value)
    {
        if (value is null)
        {
            return (false, null);
        }

        string? authorization = null;
        string? clientId = null;
        foreach (var part in value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? part : part[..eq].Trim();
            var item = eq < 0 ? string.Empty : part[(eq + 1)..].Trim();
            if (key.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
            {
                authorization = item;
            }
            else if (key.Equals("ClientId", StringComparison.OrdinalIgnoreCase))
            {
                clientId = item;
            }
            else
            {
                throw Malformed("has an unknown part '" + key + "'");
            }
        }

        if (!string.Equals(authorization, EntraAuthorization, StringComparison.OrdinalIgnoreCase))
        {
            throw Malformed("must say Authorization=AAD");
        }

        if (clientId is not null && !Guid.TryParse(clientId, out _))
        {
            throw Malformed("has a ClientId that is not a GUID");
        }

        return (true, clientId);
    }

    private static GatewayConfigurationException Malformed(string problem)
        => new(SettingNames.AppInsightsAuthenticationString, problem + ": expected Authorization=AAD or Authorization=AAD;ClientId=<client id of a managed identity>.");

    private static string? Value(IConfiguration configuration, string name) => configuration[name] is { Length: > 0 } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}
