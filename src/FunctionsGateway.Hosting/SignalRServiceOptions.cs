using FunctionsGateway.Core.Options;
using FunctionsGateway.SignalR.Serverless;
using Microsoft.Extensions.Configuration;

namespace FunctionsGateway.Hosting;

/// <summary>The <c>AzureSignalRConnectionString</c> setting, parsed and checked at start-up.</summary>
public sealed class SignalRServiceOptions
{
    public required SignalRConnectionString Connection { get; init; }

    /// <summary>Keys an upstream signature may be made with (primary, and a secondary during rotation).</summary>
    public required IReadOnlyList<string> AccessKeys { get; init; }

    public static SignalRServiceOptions FromConfiguration(IConfiguration configuration)
    {
        var raw = configuration[SettingNames.SignalR] ?? configuration.GetConnectionString(SettingNames.SignalR);
        if (string.IsNullOrWhiteSpace(raw))
        {
            throw new GatewayConfigurationException(SettingNames.SignalR,
                "is required: Endpoint=...;AccessKey=...;Version=1.0; (the local host sets its own when it serves the client endpoint).");
        }

        if (!SignalRConnectionString.TryParse(raw, out var parsed) || parsed is null)
        {
            throw new GatewayConfigurationException(SettingNames.SignalR, "is not a valid SignalR connection string (Endpoint=...;AccessKey=...;Version=1.0;).");
        }

        if (string.IsNullOrEmpty(parsed.AccessKey))
        {
            // Client tokens are signed locally, as the SignalR extension does; identity-only connections are not supported yet.
            throw new GatewayConfigurationException(SettingNames.SignalR, "needs an AccessKey: the gateway signs negotiate tokens and verifies upstream signatures with it.");
        }

        var keys = new List<string> { parsed.AccessKey };
        var secondary = configuration["Gateway:SecondaryAccessKey"];
        if (!string.IsNullOrEmpty(secondary))
        {
            keys.Add(secondary);
        }

        return new SignalRServiceOptions { Connection = parsed, AccessKeys = keys };
    }
}
