using FunctionsGateway.Core.Options;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Core.Runs;

/// <summary><c>Gateway__Runs__*</c>: each bad value fails start-up, named as users write it.</summary>
public sealed class RunOptionsValidator : IValidateOptions<RunOptions>
{
    public ValidateOptionsResult Validate(string? name, RunOptions options)
    {
        var failures = new List<string>();
        Check(failures, "Gateway__Runs__OfferTimeout", options.OfferTimeout > TimeSpan.Zero && options.OfferTimeout <= TimeSpan.FromHours(1), "must be between 00:00:01 and 01:00:00.");
        Check(failures, "Gateway__Runs__MaxTimeoutSeconds", options.MaxTimeoutSeconds is >= 1 and <= 7 * 24 * 3600, "must be 1..604800.");
        Check(failures, "Gateway__Runs__DefaultTimeoutSeconds", options.DefaultTimeoutSeconds >= 1 && options.DefaultTimeoutSeconds <= options.MaxTimeoutSeconds, "must be 1..Gateway__Runs__MaxTimeoutSeconds.");
        Check(failures, "Gateway__Runs__MaxTaskBytes", options.MaxTaskBytes is >= 16 and <= 1024 * 1024, "must be 16..1048576.");
        Check(failures, "Gateway__Runs__WorkerPool", options.WorkerPool is { Length: > 0 and <= 32 } && options.WorkerPool.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'),
            "must be 1..32 of [a-z0-9-].");
        Check(failures, "Gateway__Runs__MaxOutputChars", options.MaxOutputChars is >= 16 and <= 1024 * 1024, "must be 16..1048576.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    internal static void Check(List<string> failures, string setting, bool ok, string problem)
    {
        if (!ok)
        {
            failures.Add(SettingProblem.Describe(setting, problem));
        }
    }
}
