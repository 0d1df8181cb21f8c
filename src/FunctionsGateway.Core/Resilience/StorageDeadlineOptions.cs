using FunctionsGateway.Core.Options;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Core.Resilience;

/// <summary>The <c>Gateway:Storage</c> section (<c>Gateway__Storage__*</c> settings).</summary>
public sealed class StorageDeadlineOptions
{
    public const string Section = "Gateway:Storage";

    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan MinDeadline = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan MaxDeadline = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long a gateway call (or an admin API request) may wait on storage before it answers <c>UNAVAILABLE</c>;
    /// also each single storage request's network timeout.
    /// </summary>
    public TimeSpan Deadline { get; set; } = DefaultDeadline;

    /// <summary>The retry hint sent with <c>UNAVAILABLE</c>: storage that stalled once is not retried sooner than one deadline.</summary>
    public TimeSpan RetryAfter => Deadline;
}

/// <summary>Fails start-up naming <c>Gateway__Storage__Deadline</c> when it is out of range.</summary>
public sealed class StorageDeadlineOptionsValidator : IValidateOptions<StorageDeadlineOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageDeadlineOptions options)
        => options.Deadline < StorageDeadlineOptions.MinDeadline || options.Deadline > StorageDeadlineOptions.MaxDeadline
            ? ValidateOptionsResult.Fail(SettingProblem.Describe(SettingNames.StorageDeadline,
                $"must be between {StorageDeadlineOptions.MinDeadline:c} and {StorageDeadlineOptions.MaxDeadline:c}."))
            : ValidateOptionsResult.Success;
}
