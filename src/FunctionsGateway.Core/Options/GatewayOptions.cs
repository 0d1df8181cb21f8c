using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Options;

/// <summary>The <c>Gateway</c> section (<c>Gateway__*</c> settings), validated at start by <see cref="GatewayOptionsValidator"/>.</summary>
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

    /// <summary>
    /// Calls one connection may have in the gateway at once; more are refused with <c>TOO_MANY_IN_FLIGHT</c> before any
    /// storage is read. The service forwards one call at a time per connection, so this only bites when calls for one
    /// connection arrive concurrently (several service instances, a misbehaving upstream). Counted per gateway instance.
    /// </summary>
    public int MaxInFlightPerConnection { get; set; } = 8;

    public string ServerVersion { get; set; } = typeof(GatewayOptions).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public HelloPolicy ToPolicy() => new(MaxPayloadBytes, (long)PairingRequestLifetime.TotalMilliseconds, (long)SignatureSkew.TotalMilliseconds);
}

/// <summary>A setting that is missing or wrong, named as users write it.</summary>
public sealed class GatewayConfigurationException(string setting, string problem)
    : InvalidOperationException(SettingProblem.Describe(setting, problem))
{
    public string Setting { get; } = setting;
}

public static class SettingProblem
{
    public static string Describe(string setting, string problem) => $"Setting '{setting}' {problem}";
}
