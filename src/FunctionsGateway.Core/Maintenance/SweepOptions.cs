using FunctionsGateway.Core.Runs;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Core.Maintenance;

/// <summary>The <c>Gateway:Sweep</c> section (<c>Gateway__Sweep__*</c> settings). The schedule is a flat setting of its own.</summary>
public sealed class SweepOptions
{
    public const string Section = "Gateway:Sweep";

    /// <summary>False turns the sweep into a no-op on this host (the timer still fires).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// A row written more recently than this is never looked at: a just-admitted connection costs nothing and can never
    /// be swept. Closed rows and expired challenges untouched this long go without asking the service.
    /// </summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Per step and run: at most this many removals, and at most this many questions to the service.</summary>
    public int Budget { get; set; } = 200;

    /// <summary>A step still running after this is cancelled (a storage stall), so one step never holds up the rest.</summary>
    public TimeSpan StepTimeout { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary><c>Gateway__Sweep__*</c>: each bad value fails start-up, named as users write it.</summary>
public sealed class SweepOptionsValidator : IValidateOptions<SweepOptions>
{
    public ValidateOptionsResult Validate(string? name, SweepOptions options)
    {
        var failures = new List<string>();
        RunOptionsValidator.Check(failures, "Gateway__Sweep__GracePeriod", options.GracePeriod >= TimeSpan.FromSeconds(1) && options.GracePeriod <= TimeSpan.FromDays(7),
            "must be between 00:00:01 and 7.00:00:00.");
        RunOptionsValidator.Check(failures, "Gateway__Sweep__Budget", options.Budget is >= 1 and <= 5000, "must be 1..5000.");
        RunOptionsValidator.Check(failures, "Gateway__Sweep__StepTimeout", options.StepTimeout >= TimeSpan.FromSeconds(1) && options.StepTimeout <= TimeSpan.FromMinutes(10),
            "must be between 00:00:01 and 00:10:00.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
