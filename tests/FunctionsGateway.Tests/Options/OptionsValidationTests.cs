using FunctionsGateway.Core;
using FunctionsGateway.Core.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FunctionsGateway.Tests.Options;

public sealed class OptionsValidationTests
{
    [Fact]
    public void A_missing_shared_token_fails_fast_naming_the_setting()
    {
        using var provider = Build(new() { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true" });

        var ex = Assert.Throws<GatewayConfigurationException>(() => provider.GetRequiredService<GatewayOptions>());

        Assert.Equal(SettingNames.SharedToken, ex.Setting);
        Assert.Contains("Gateway__SharedToken", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_storage_setting_fails_fast_naming_the_setting()
    {
        using var provider = Build(new() { ["Gateway:SharedToken"] = "a-long-enough-shared-token" });

        var ex = Assert.Throws<GatewayConfigurationException>(() => provider.GetRequiredService<StorageOptions>());

        Assert.Contains("AzureWebJobsStorage", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_short_shared_token_is_refused()
    {
        var options = new GatewayOptions { SharedToken = "short" };
        var ex = Assert.Throws<GatewayConfigurationException>(options.Validate);
        Assert.Equal(SettingNames.SharedToken, ex.Setting);
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
