namespace FunctionsGateway.Core.Options;

/// <summary>Setting names as users write them (environment / local.settings.json / Bicep app settings).</summary>
public static class SettingNames
{
    public const string Storage = "AzureWebJobsStorage";
    public const string SignalR = "AzureSignalRConnectionString";
    public const string SharedToken = "Gateway__SharedToken";
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
