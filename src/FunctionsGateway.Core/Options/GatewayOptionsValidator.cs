using Microsoft.Extensions.Options;

namespace FunctionsGateway.Core.Options;

/// <summary>Fails start-up with the setting's user-facing name when it is missing or weak.</summary>
public sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.SharedToken))
        {
            failures.Add(SettingProblem.Describe(SettingNames.SharedToken, "is required: the shared gateway token clients present in auth.token."));
        }
        else if (options.SharedToken.Length < 16)
        {
            failures.Add(SettingProblem.Describe(SettingNames.SharedToken, "must be at least 16 characters."));
        }

        if (options.MaxPayloadBytes is < 1024 or > 1024 * 1024)
        {
            failures.Add(SettingProblem.Describe(SettingNames.MaxPayloadBytes, "must be between 1024 and 1048576."));
        }

        if (options.MaxInFlightPerConnection is < 1 or > 1000)
        {
            failures.Add(SettingProblem.Describe(SettingNames.MaxInFlightPerConnection, "must be between 1 and 1000."));
        }

        Positive(failures, SettingNames.ChallengeLifetime, options.ChallengeLifetime);
        Positive(failures, SettingNames.SignatureSkew, options.SignatureSkew);
        Positive(failures, SettingNames.PairingRequestLifetime, options.PairingRequestLifetime);
        if (options.PairingCloseDelay < TimeSpan.Zero || options.PairingCloseDelay > TimeSpan.FromMinutes(1))
        {
            failures.Add(SettingProblem.Describe(SettingNames.PairingCloseDelay, "must be between 00:00:00 and 00:01:00."));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Positive(List<string> failures, string setting, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add(SettingProblem.Describe(setting, "must be a positive duration (hh:mm:ss)."));
        }
    }
}
