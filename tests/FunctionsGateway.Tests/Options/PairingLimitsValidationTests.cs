using FunctionsGateway.Core;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Core.Pairing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Tests.Options;

/// <summary><c>Gateway__Pairing__*</c>: sensible defaults, and a bad value fails start-up by its name.</summary>
public sealed class PairingLimitsValidationTests
{
    [Fact]
    public void The_defaults_are_valid()
    {
        using var provider = Build([]);

        var limits = provider.GetRequiredService<IOptions<PairingLimits>>().Value;

        Assert.Equal(200, limits.MaxPending);
        Assert.Equal(20, limits.MaxPendingPerAddress);
        Assert.Equal(30, limits.MaxRequestedEventsPerMinute);
        Assert.Equal(TimeSpan.FromDays(1), limits.ResolvedRetention);
        Assert.Equal(3, limits.MaxAdmissionFailures);
    }

    [Theory]
    [InlineData("MaxPending", "0", SettingNames.PairingMaxPending)]
    [InlineData("MaxPending", "2001", SettingNames.PairingMaxPending)]
    [InlineData("MaxPendingPerAddress", "201", SettingNames.PairingMaxPendingPerAddress)]
    [InlineData("MaxRequestedEventsPerMinute", "0", SettingNames.PairingMaxRequestedEventsPerMinute)]
    [InlineData("ResolvedRetention", "00:00:10", SettingNames.PairingResolvedRetention)]
    [InlineData("MaxAdmissionFailures", "0", SettingNames.PairingMaxAdmissionFailures)]
    public void A_bad_pairing_limit_is_refused_by_its_name(string key, string value, string setting)
    {
        using var provider = Build(new() { ["Gateway:Pairing:" + key] = value });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PairingLimits>>().Value);

        Assert.Contains($"Setting '{setting}'", ex.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        settings["Gateway:SharedToken"] = "a-long-enough-shared-token";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddGatewayCore(configuration).BuildServiceProvider();
    }
}
