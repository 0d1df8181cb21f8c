using FunctionsGateway.Core;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Tests.Options;

public sealed class OptionsValidationTests
{
    [Fact]
    public void A_missing_shared_token_fails_fast_naming_the_setting()
    {
        using var provider = Build(new() { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true" });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<GatewayOptions>>().Value);

        Assert.Contains("Setting 'Gateway__SharedToken' is required", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_storage_setting_fails_fast_naming_the_setting()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Gateway:SharedToken"] = "a-long-enough-shared-token" }).Build();
        using var provider = new ServiceCollection().AddLogging().AddGatewayCore(configuration).AddGatewayStorage(configuration).BuildServiceProvider();

        var ex = Assert.Throws<GatewayConfigurationException>(() => provider.GetRequiredService<StorageOptions>());

        Assert.Contains("AzureWebJobsStorage", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SharedToken", "short", SettingNames.SharedToken)]
    [InlineData("MaxPayloadBytes", "10", SettingNames.MaxPayloadBytes)]
    [InlineData("ChallengeLifetime", "00:00:00", SettingNames.ChallengeLifetime)]
    [InlineData("PairingRequestLifetime", "-00:00:01", SettingNames.PairingRequestLifetime)]
    [InlineData("PairingCloseDelay", "00:10:00", SettingNames.PairingCloseDelay)]
    [InlineData("MaxInFlightPerConnection", "0", SettingNames.MaxInFlightPerConnection)]
    public void A_bad_gateway_setting_is_refused_by_its_name(string key, string value, string setting)
    {
        var settings = new Dictionary<string, string?> { ["Gateway:SharedToken"] = "a-long-enough-shared-token", ["Gateway:" + key] = value };
        using var provider = Build(settings);

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<GatewayOptions>>().Value);

        Assert.Contains($"Setting '{setting}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Identity_based_storage_needs_no_connection_string()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage:accountName"] = "gatewaystore",
        }).Build();

        var storage = StorageOptions.FromConfiguration(configuration);

        Assert.Null(storage.ConnectionString);
        Assert.Equal(new Uri("https://gatewaystore.table.core.windows.net"), storage.TableServiceUri);
        Assert.Equal(new Uri("https://gatewaystore.queue.core.windows.net"), storage.QueueServiceUri);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddGatewayCore(configuration).BuildServiceProvider();
    }
}
