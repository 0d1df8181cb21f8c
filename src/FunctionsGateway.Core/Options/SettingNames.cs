namespace FunctionsGateway.Core.Options;

/// <summary>Setting names as users write them (environment / local.settings.json / Bicep app settings).</summary>
public static class SettingNames
{
    public const string Storage = "AzureWebJobsStorage";
    public const string SignalR = "AzureSignalRConnectionString";
    public const string SharedToken = "Gateway__SharedToken";
    public const string AdminKey = "Gateway__AdminKey";

    /// <summary>The configuration section that <c>Gateway__*</c> settings bind to.</summary>
    public const string GatewaySection = "Gateway";

    /// <summary>The configuration key form (<c>Gateway:SharedToken</c>) of a <c>Gateway__X</c> setting.</summary>
    public static string ConfigKey(string setting) => setting.Replace("__", ":", StringComparison.Ordinal);
}
