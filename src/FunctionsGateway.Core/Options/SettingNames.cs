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
