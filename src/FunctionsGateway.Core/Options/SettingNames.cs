namespace FunctionsGateway.Core.Options;

/// <summary>Setting names as users write them (environment / local.settings.json / Bicep app settings).</summary>
public static class SettingNames
{
    public const string Storage = "AzureWebJobsStorage";

    // Identity-based storage (what a keyless deployment sets instead of a connection string). The Functions host reads
    // __credential for its queue and timer triggers; the gateway reads __accountName and __clientId.
    public const string StorageAccountName = "AzureWebJobsStorage__accountName";
    public const string StorageCredential = "AzureWebJobsStorage__credential";
    public const string StorageClientId = "AzureWebJobsStorage__clientId";
    public const string SignalR = "AzureSignalRConnectionString";
    public const string SharedToken = "Gateway__SharedToken";

    // Identity-based SignalR, the Functions convention (the SDK convention is AuthType=azure.msi|azure in SignalR itself).
    public const string SignalRServiceUri = "AzureSignalRConnectionString__serviceUri";
    public const string SignalRCredential = "AzureSignalRConnectionString__credential";
    public const string SignalRClientId = "AzureSignalRConnectionString__clientId";
    public const string SignalRTenantId = "AzureSignalRConnectionString__tenantId";

    // The upstream under Entra: the bearer token SignalR's managed identity sends (no access key, so no signature).
    public const string UpstreamTenantId = "Gateway__Upstream__TenantId";
    public const string UpstreamAudience = "Gateway__Upstream__Audience";

    /// <summary>Object id (ARM <c>principalId</c>) of the SignalR service's managed identity: the token's <c>oid</c>.</summary>
    public const string UpstreamPrincipalId = "Gateway__Upstream__PrincipalId";

    /// <summary>Optional: the OpenID metadata URL (default: the tenant's on login.microsoftonline.com).</summary>
    public const string UpstreamMetadataAddress = "Gateway__Upstream__MetadataAddress";

    // Telemetry. Standard names, read by the exporters.
    public const string AppInsightsConnectionString = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string AppInsightsAuthenticationString = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";
    public const string OtlpEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string AdminKey = "Gateway__AdminKey";
    public const string MaxPayloadBytes = "Gateway__MaxPayloadBytes";
    public const string ChallengeLifetime = "Gateway__ChallengeLifetime";
    public const string SignatureSkew = "Gateway__SignatureSkew";
    public const string PairingRequestLifetime = "Gateway__PairingRequestLifetime";
    public const string PairingCloseDelay = "Gateway__PairingCloseDelay";
    public const string MaxInFlightPerConnection = "Gateway__MaxInFlightPerConnection";

    /// <summary>How long a call may wait on storage before it answers <c>UNAVAILABLE</c> (<c>Gateway:Storage:Deadline</c>).</summary>
    public const string StorageDeadline = "Gateway__Storage__Deadline";

    // Pending-request caps, event budget, resolved-request memory and failed admissions (PairingLimits).
    public const string PairingMaxPending = "Gateway__Pairing__MaxPending";
    public const string PairingMaxPendingPerAddress = "Gateway__Pairing__MaxPendingPerAddress";
    public const string PairingMaxRequestedEventsPerMinute = "Gateway__Pairing__MaxRequestedEventsPerMinute";
    public const string PairingResolvedRetention = "Gateway__Pairing__ResolvedRetention";
    public const string PairingMaxAdmissionFailures = "Gateway__Pairing__MaxAdmissionFailures";

    /// <summary>
    /// The sweep's cron schedule. A flat name, unlike the <c>Gateway__*</c> settings: the Functions host reads it as the
    /// timer trigger's <c>%GatewaySweepSchedule%</c> binding expression, which it resolves reliably only for flat names.
    /// </summary>
    public const string SweepSchedule = "GatewaySweepSchedule";

    /// <summary>The configuration section that <c>Gateway__*</c> settings bind to.</summary>
    public const string GatewaySection = "Gateway";

    /// <summary>The configuration key form (<c>Gateway:SharedToken</c>) of a <c>Gateway__X</c> setting.</summary>
    public static string ConfigKey(string setting) => setting.Replace("__", ":", StringComparison.Ordinal);
}
