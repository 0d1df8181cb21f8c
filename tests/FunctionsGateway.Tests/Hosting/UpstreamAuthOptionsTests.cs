using FunctionsGateway.Core.Options;
using FunctionsGateway.Hosting;
using FunctionsGateway.SignalR.Serverless;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Tests.Hosting;

/// <summary>
/// The <c>Gateway__Upstream__*</c> settings: required without an access key (the upstream then has no signature),
/// optional but complete with one, and every missing or malformed one named at start.
/// </summary>
public sealed class UpstreamAuthOptionsTests
{
    private const string Tenant = "2b5d1f0e-7c4a-4e9b-a1d3-5f6e7a8b9c0d";
    private const string Principal = "6f1c2b4e-9a3d-4c71-8e25-0b9d7f3a1c58";

    [Fact]
    public async Task Without_an_access_key_start_up_fails_naming_each_missing_upstream_setting()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(accessKeys: [], new()));

        Assert.Equal(typeof(UpstreamAuthOptions), failure.OptionsType);
        Assert.Equal(3, failure.Failures.Count());
        foreach (var setting in new[] { SettingNames.UpstreamTenantId, SettingNames.UpstreamAudience, SettingNames.UpstreamPrincipalId })
        {
            Assert.Contains(failure.Failures, f => f.StartsWith($"Setting '{setting}' is required when {SettingNames.SignalR} has no AccessKey", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData(SettingNames.UpstreamTenantId)]
    [InlineData(SettingNames.UpstreamAudience)]
    [InlineData(SettingNames.UpstreamPrincipalId)]
    public async Task Without_an_access_key_each_missing_setting_alone_is_named(string missing)
    {
        var settings = Complete();
        settings.Remove(missing);

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(accessKeys: [], settings));

        Assert.StartsWith($"Setting '{missing}' is required", Assert.Single(failure.Failures), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(SettingNames.UpstreamTenantId, "contoso.onmicrosoft.com")]
    [InlineData(SettingNames.UpstreamPrincipalId, "not-a-guid")]
    [InlineData(SettingNames.UpstreamMetadataAddress, "not a url")]
    [InlineData(SettingNames.UpstreamMetadataAddress, "/tenant/v2.0/.well-known/openid-configuration")]
    [InlineData(SettingNames.UpstreamMetadataAddress, "http://login.example.com/tenant/v2.0/.well-known/openid-configuration")]
    public async Task A_malformed_setting_fails_at_start_naming_it(string setting, string value)
    {
        var settings = Complete();
        settings[setting] = value;

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(accessKeys: [], settings));

        Assert.StartsWith($"Setting '{setting}' must be", Assert.Single(failure.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_metadata_address_stands_in_for_the_tenant()
    {
        var settings = Complete();
        settings.Remove(SettingNames.UpstreamTenantId);
        settings[SettingNames.UpstreamMetadataAddress] = "https://login.microsoftonline.us/" + Tenant + "/.well-known/openid-configuration";

        using var host = await StartAsync(accessKeys: [], settings);

        var bearer = host.Services.GetRequiredService<IOptions<UpstreamAuthOptions>>().Value.ToBearerSettings()!;
        Assert.Equal(settings[SettingNames.UpstreamMetadataAddress], bearer.MetadataAddress.AbsoluteUri);
        Assert.Empty(bearer.ValidIssuers);
        Assert.True(host.Services.GetRequiredService<UpstreamAuthentication>().AcceptsBearer);
    }

    [Fact]
    public async Task A_tenant_means_its_entra_metadata_and_issuers()
    {
        using var host = await StartAsync(accessKeys: [], Complete());

        var bearer = host.Services.GetRequiredService<IOptions<UpstreamAuthOptions>>().Value.ToBearerSettings()!;
        Assert.Equal(UpstreamBearerSettings.TenantMetadataAddress(Guid.Parse(Tenant)), bearer.MetadataAddress);
        Assert.Equal(UpstreamBearerSettings.TenantIssuers(Guid.Parse(Tenant)), bearer.ValidIssuers);
        Assert.Equal("api://gateway-upstream", bearer.Audience);
        Assert.Equal(Guid.Parse(Principal), bearer.PrincipalId);
    }

    [Fact]
    public async Task With_an_access_key_the_upstream_settings_are_optional_and_the_bearer_path_is_off()
    {
        using var host = await StartAsync(accessKeys: ["an-access-key-0123456789"], new());

        Assert.False(host.Services.GetRequiredService<UpstreamAuthentication>().AcceptsBearer);
    }

    [Fact]
    public async Task With_an_access_key_a_partial_upstream_configuration_still_fails_naming_what_is_missing()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(
            accessKeys: ["an-access-key-0123456789"], new() { [SettingNames.UpstreamAudience] = "api://gateway-upstream" }));

        Assert.Equal(2, failure.Failures.Count());
        Assert.Contains(failure.Failures, f => f.StartsWith($"Setting '{SettingNames.UpstreamTenantId}' is required", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.StartsWith($"Setting '{SettingNames.UpstreamPrincipalId}' is required", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_an_access_key_and_complete_settings_the_bearer_path_is_also_on()
    {
        using var host = await StartAsync(accessKeys: ["an-access-key-0123456789"], Complete());

        Assert.True(host.Services.GetRequiredService<UpstreamAuthentication>().AcceptsBearer);
    }

    private static Dictionary<string, string?> Complete() => new()
    {
        [SettingNames.UpstreamTenantId] = Tenant,
        [SettingNames.UpstreamAudience] = "api://gateway-upstream",
        [SettingNames.UpstreamPrincipalId] = Principal,
    };

    /// <summary>A host with the upstream authentication as the gateway registers it, started (so ValidateOnStart runs).</summary>
    private static async Task<IHost> StartAsync(string[] accessKeys, Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.ToDictionary(s => SettingNames.ConfigKey(s.Key), s => s.Value))
            .Build();
        var host = new HostBuilder().ConfigureServices(services =>
        {
            services.AddLogging(logging => logging.ClearProviders());
            services.AddSingleton(TimeProvider.System);
            services.AddSingleton(new SignalRServiceOptions
            {
                Connection = SignalRConnectionString.Parse(SignalRConnectionString.Emulator),
                AccessKeys = accessKeys,
            });
            services.AddUpstreamAuthentication(configuration);
        }).Build();
        try
        {
            await host.StartAsync();
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }
}
