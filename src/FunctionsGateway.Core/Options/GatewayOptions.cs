using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Options;

/// <summary>The <c>Gateway</c> section.</summary>
public sealed class GatewayOptions
{
    /// <summary>The shared gateway token a client may present in <c>auth.token</c>.</summary>
    public string SharedToken { get; set; } = string.Empty;

    public TimeSpan ChallengeLifetime { get; set; } = TimeSpan.FromMinutes(1);

    public TimeSpan SignatureSkew { get; set; } = TimeSpan.FromMinutes(2);

    public TimeSpan PairingRequestLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a policy close waits behind the response that explains it (the queue visibility delay).</summary>
    public TimeSpan PairingCloseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest accepted upstream invocation body, in bytes.</summary>
    public int MaxPayloadBytes { get; set; } = 64 * 1024;

    public string ServerVersion { get; set; } = typeof(GatewayOptions).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>Fails fast with the setting's user-facing name when it is missing or weak.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(SharedToken))
        {
            throw new GatewayConfigurationException(SettingNames.SharedToken, "is required: the shared gateway token clients present in auth.token.");
        }

        if (SharedToken.Length < 16)
        {
            throw new GatewayConfigurationException(SettingNames.SharedToken, "must be at least 16 characters.");
        }

        if (MaxPayloadBytes is < 1024 or > 1024 * 1024)
        {
            throw new GatewayConfigurationException("Gateway__MaxPayloadBytes", "must be between 1024 and 1048576.");
        }
    }

    public HelloPolicy ToPolicy() => new(MaxPayloadBytes, (long)PairingRequestLifetime.TotalMilliseconds, (long)SignatureSkew.TotalMilliseconds);
}

public sealed class GatewayConfigurationException(string setting, string problem)
    : InvalidOperationException($"Setting '{setting}' {problem}")
{
    public string Setting { get; } = setting;
}
