using Azure.Core;
using Azure.Identity;
using FunctionsGateway.Core.Options;
using Microsoft.Extensions.Configuration;

namespace FunctionsGateway.Hosting;

/// <summary>
/// Where telemetry goes, from the standard settings (docs/telemetry.md): Azure Monitor when
/// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set, signed in with a managed identity when
/// <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> says <c>Authorization=AAD</c>; OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set. Neither: no exporter, and no OpenTelemetry SDK at all. Reading never
/// fails: a malformed value is kept in <see cref="Malformed"/> and fails the host at start (<see cref="Validate"/>),
/// like every other setting.
/// </summary>
public sealed class TelemetrySettings
{
    public const string EntraAuthorization = "AAD";

    private const string AuthenticationForm = "expected Authorization=AAD or Authorization=AAD;ClientId=<client id of a managed identity>.";

    public string? AzureMonitorConnectionString { get; init; }

    /// <summary>Sign in to Application Insights with a managed identity (the resource may have local auth disabled).</summary>
    public bool AzureMonitorUsesEntra { get; init; }

    /// <summary>The user-assigned identity's client id (<c>ClientId=</c>); null for the system-assigned one.</summary>
    public string? AzureMonitorClientId { get; init; }

    /// <summary>Set: an OTLP exporter is added, which reads the endpoint and the other <c>OTEL_EXPORTER_OTLP_*</c> settings itself.</summary>
    public bool Otlp { get; init; }

    public bool AzureMonitor => AzureMonitorConnectionString is not null;

    /// <summary>The malformed setting, as users write it, and what is wrong with it; null when nothing is.</summary>
    public (string Setting, string Problem)? Malformed { get; init; }

    /// <summary>Throws <see cref="GatewayConfigurationException"/> naming the <see cref="Malformed"/> setting, if any.</summary>
    public void Validate()
    {
        if (Malformed is { } malformed)
        {
            throw new GatewayConfigurationException(malformed.Setting, malformed.Problem);
        }
    }

    public static TelemetrySettings FromConfiguration(IConfiguration configuration)
    {
        var connectionString = Value(configuration, SettingNames.AppInsightsConnectionString);
        var otlp = Value(configuration, SettingNames.OtlpEndpoint);
        var (entra, clientId, problem) = ParseAuthentication(Value(configuration, SettingNames.AppInsightsAuthenticationString));
        (string, string)? malformed = problem is null ? null : (SettingNames.AppInsightsAuthenticationString, problem + ": " + AuthenticationForm);
        if (otlp is not null && (!Uri.TryCreate(otlp, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https")))
        {
            malformed ??= (SettingNames.OtlpEndpoint, "must be an absolute http(s) URL, e.g. http://localhost:4317.");
        }

        return new TelemetrySettings
        {
            AzureMonitorConnectionString = connectionString,
            AzureMonitorUsesEntra = entra,
            AzureMonitorClientId = clientId,
            Otlp = otlp is not null,
            Malformed = malformed,
        };
    }

    /// <summary>
    /// The exporter's credential: a managed identity under Entra, else none (the connection string's key). A malformed
    /// authentication string gives none here: the host does not start with it (<see cref="Validate"/>).
    /// </summary>
    public TokenCredential? AzureMonitorCredential()
        => !AzureMonitorUsesEntra ? null
            : new ManagedIdentityCredential(AzureMonitorClientId is null ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(AzureMonitorClientId));

    /// <summary><c>Authorization=AAD[;ClientId=&lt;guid&gt;]</c>, the form the Functions host reads as well; a problem names no value.</summary>
    internal static (bool Entra, string? ClientId, string? Problem) ParseAuthentication(string? value)
    {
        if (value is null)
        {
            return (false, null, null);
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
                return (false, null, "has a part other than Authorization and ClientId");
            }
        }

        if (!string.Equals(authorization, EntraAuthorization, StringComparison.OrdinalIgnoreCase))
        {
            return (false, null, "must say Authorization=AAD");
        }

        return clientId is not null && !Guid.TryParse(clientId, out _) ? (false, null, "has a ClientId that is not a GUID") : (true, clientId, null);
    }

    private static string? Value(IConfiguration configuration, string name) => configuration[name] is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}
