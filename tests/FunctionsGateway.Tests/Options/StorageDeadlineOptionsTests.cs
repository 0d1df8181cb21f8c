using FunctionsGateway.Core;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Core.Resilience;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Tests.Options;

public sealed class StorageDeadlineOptionsTests
{
    [Fact]
    public void The_storage_deadline_is_a_few_seconds_unless_set()
    {
        using var provider = Build(null);

        Assert.Equal(TimeSpan.FromSeconds(5), provider.GetRequiredService<IOptions<StorageDeadlineOptions>>().Value.Deadline);
    }

    [Fact]
    public void The_storage_deadline_is_read_from_its_setting()
    {
        using var provider = Build("00:00:02");

        Assert.Equal(TimeSpan.FromSeconds(2), provider.GetRequiredService<CallDeadlines>().Deadline);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("00:00:00.500")]
    [InlineData("00:10:00")]
    public void A_storage_deadline_out_of_range_is_refused_by_its_name(string value)
    {
        using var provider = Build(value);

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<StorageDeadlineOptions>>().Value);

        Assert.Contains($"Setting '{SettingNames.StorageDeadline}' must be between", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_setting_name_is_the_configuration_key_the_options_bind_to()
        => Assert.Equal(StorageDeadlineOptions.Section + ":" + nameof(StorageDeadlineOptions.Deadline), SettingNames.ConfigKey(SettingNames.StorageDeadline));

    private static ServiceProvider Build(string? deadline)
    {
        var settings = new Dictionary<string, string?> { ["Gateway:SharedToken"] = "a-long-enough-shared-token" };
        if (deadline is not null)
        {
            settings[SettingNames.ConfigKey(SettingNames.StorageDeadline)] = deadline;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddGatewayCore(configuration).BuildServiceProvider();
    }
}
