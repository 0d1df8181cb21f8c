using FunctionsGateway.Core.Options;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Core.Pairing;

/// <summary>
/// The <c>Gateway:Pairing</c> section (<c>Gateway__Pairing__*</c> settings): how much an unpaired caller can make the
/// gateway store and announce, and how many failed admissions one connection gets.
/// </summary>
public sealed class PairingLimits
{
    public const string Section = "Gateway:Pairing";

    /// <summary>Live (unexpired, undecided) pending requests across the whole gateway.</summary>
    public int MaxPending { get; set; } = 200;

    /// <summary>Live pending requests from one client address (IPv4 address, or IPv6 /64), when the address is known.</summary>
    public int MaxPendingPerAddress { get; set; } = 20;

    /// <summary><c>device.pair.requested</c> events per minute, across the gateway; past it requests are stored and listed but not announced.</summary>
    public int MaxRequestedEventsPerMinute { get; set; } = 30;

    /// <summary>How long a decided request id keeps answering "already resolved" (409) rather than "unknown" (404).</summary>
    public TimeSpan ResolvedRetention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Failed <c>connect</c> attempts (each spending a challenge) one connection gets before it is closed.</summary>
    public int MaxAdmissionFailures { get; set; } = 3;

    /// <summary>The largest gateway cap: the ledger of live requests is one table row (64 KiB of 20-byte entries).</summary>
    public const int MaxPendingCeiling = 2000;
}

/// <summary><c>Gateway__Pairing__*</c>: each bad value fails start-up, named as users write it.</summary>
public sealed class PairingLimitsValidator : IValidateOptions<PairingLimits>
{
    public ValidateOptionsResult Validate(string? name, PairingLimits options)
    {
        var failures = new List<string>();
        Check(failures, SettingNames.PairingMaxPending, options.MaxPending is >= 1 and <= PairingLimits.MaxPendingCeiling,
            $"must be 1..{PairingLimits.MaxPendingCeiling}.");
        Check(failures, SettingNames.PairingMaxPendingPerAddress, options.MaxPendingPerAddress >= 1 && options.MaxPendingPerAddress <= options.MaxPending,
            "must be 1.." + SettingNames.PairingMaxPending + ".");
        Check(failures, SettingNames.PairingMaxRequestedEventsPerMinute, options.MaxRequestedEventsPerMinute is >= 1 and <= 10_000, "must be 1..10000.");
        Check(failures, SettingNames.PairingResolvedRetention,
            options.ResolvedRetention >= TimeSpan.FromMinutes(1) && options.ResolvedRetention <= TimeSpan.FromDays(30), "must be between 00:01:00 and 30.00:00:00.");
        Check(failures, SettingNames.PairingMaxAdmissionFailures, options.MaxAdmissionFailures is >= 1 and <= 100, "must be 1..100.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(List<string> failures, string setting, bool ok, string problem)
    {
        if (!ok)
        {
            failures.Add(SettingProblem.Describe(setting, problem));
        }
    }
}
