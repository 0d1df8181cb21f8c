using Azure.Identity;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Hosting;
using FunctionsGateway.SignalR.Serverless;
using Microsoft.Extensions.Configuration;

namespace FunctionsGateway.Tests.Hosting;

/// <summary>
/// Start-up reads the SignalR service in the forms users already know: an access-key connection string, the SDK's
/// identity connection string (<c>AuthType=azure.msi</c>), and the Functions extension's <c>__serviceUri</c> section.
/// </summary>
public sealed class SignalRServiceOptionsTests
{
    private const string Endpoint = "https://demo.service.signalr.net";
    private const string ClientId = "0f3c6b1e-2d8a-4c1e-9b7a-5e4d3c2b1a00";

    [Fact]
    public void The_sdk_convention_with_azure_msi_and_a_client_id_is_a_user_assigned_managed_identity()
    {
        var options = Read(new() { [SettingNames.SignalR] = $"Endpoint={Endpoint};AuthType=azure.msi;ClientId={ClientId};Version=1.0;" });

        Assert.Equal(SignalRCredentialKind.ManagedIdentity, options.Identity!.Kind);
        Assert.Equal(ClientId, options.Identity.ClientId);
        Assert.IsType<ManagedIdentityCredential>(options.Identity.CreateCredential());
        Assert.Empty(options.AccessKeys);
        Assert.Equal(new Uri(Endpoint), options.Connection.Endpoint);
    }

    [Fact]
    public void The_sdk_convention_with_azure_msi_alone_is_the_system_assigned_identity()
    {
        var options = Read(new() { [SettingNames.SignalR] = $"Endpoint={Endpoint};AuthType=azure.msi;Version=1.0;" });

        Assert.Equal(SignalRCredentialKind.ManagedIdentity, options.Identity!.Kind);
        Assert.Null(options.Identity.ClientId);
        Assert.IsType<ManagedIdentityCredential>(options.Identity.CreateCredential());
    }

    [Fact]
    public void The_sdk_convention_with_azure_is_the_default_azure_credential()
    {
        var options = Read(new() { [SettingNames.SignalR] = $"Endpoint={Endpoint};AuthType=azure;Version=1.0;" });

        Assert.Equal(SignalRCredentialKind.DefaultAzureCredential, options.Identity!.Kind);
        Assert.IsType<DefaultAzureCredential>(options.Identity.CreateCredential());
        Assert.Empty(options.AccessKeys);
    }

    [Fact]
    public void The_sdk_convention_with_azure_app_is_a_client_secret_credential_and_needs_all_three_values()
    {
        var good = Read(new() { [SettingNames.SignalR] = $"Endpoint={Endpoint};AuthType=azure.app;ClientId={ClientId};TenantId=tenant;ClientSecret=do-not-print-me;Version=1.0;" });
        var failure = Assert.Throws<GatewayConfigurationException>(() =>
            Read(new() { [SettingNames.SignalR] = $"Endpoint={Endpoint};AuthType=azure.app;ClientId={ClientId};ClientSecret=do-not-print-me;" }));

        Assert.IsType<ClientSecretCredential>(good.Identity!.CreateCredential());
        Assert.DoesNotContain("do-not-print-me", good.Identity.ToString(), StringComparison.Ordinal);
        Assert.Equal(SettingNames.SignalR, failure.Setting);
        Assert.Contains("TenantId", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("do-not-print-me", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_functions_convention_with_managedidentity_and_a_client_id_is_a_user_assigned_managed_identity()
    {
        var options = Read(new()
        {
            [SettingNames.ConfigKey(SettingNames.SignalRServiceUri)] = Endpoint,
            [SettingNames.ConfigKey(SettingNames.SignalRCredential)] = "managedidentity",
            [SettingNames.ConfigKey(SettingNames.SignalRClientId)] = ClientId,
        });

        Assert.Equal(SignalRCredentialKind.ManagedIdentity, options.Identity!.Kind);
        Assert.Equal(ClientId, options.Identity.ClientId);
        Assert.Equal(SettingNames.SignalRServiceUri, options.Identity.Setting);
        Assert.IsType<ManagedIdentityCredential>(options.Identity.CreateCredential());
        Assert.Empty(options.AccessKeys);
        Assert.Equal(new Uri(Endpoint), options.Connection.Endpoint);
        Assert.Equal(SignalRAuthType.AzureMsi, options.Connection.AuthType);
    }

    [Fact]
    public void The_functions_convention_is_read_from_environment_variables_with_double_underscores()
    {
        var prefix = "FGTEST_" + Guid.NewGuid().ToString("N") + "_";
        var names = new[] { SettingNames.SignalRServiceUri, SettingNames.SignalRCredential, SettingNames.SignalRTenantId };
        try
        {
            Environment.SetEnvironmentVariable(prefix + SettingNames.SignalRServiceUri, Endpoint);
            Environment.SetEnvironmentVariable(prefix + SettingNames.SignalRCredential, "ManagedIdentity");
            Environment.SetEnvironmentVariable(prefix + SettingNames.SignalRTenantId, "tenant-1");
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables(prefix).Build();

            var options = SignalRServiceOptions.FromConfiguration(configuration);

            Assert.Equal(SignalRCredentialKind.ManagedIdentity, options.Identity!.Kind);
            Assert.Null(options.Identity.ClientId);
            Assert.Equal("tenant-1", options.Identity.TenantId);
        }
        finally
        {
            foreach (var name in names)
            {
                Environment.SetEnvironmentVariable(prefix + name, null);
            }
        }
    }

    [Fact]
    public void The_functions_convention_without_a_credential_is_the_default_azure_credential()
    {
        var options = Read(new() { [SettingNames.ConfigKey(SettingNames.SignalRServiceUri)] = Endpoint });

        Assert.Equal(SignalRCredentialKind.DefaultAzureCredential, options.Identity!.Kind);
        Assert.IsType<DefaultAzureCredential>(options.Identity.CreateCredential());
    }

    [Theory]
    [InlineData("clientsecret")]
    [InlineData("managed identity")]
    public void An_unknown_credential_fails_naming_its_setting(string credential)
    {
        var failure = Assert.Throws<GatewayConfigurationException>(() => Read(new()
        {
            [SettingNames.ConfigKey(SettingNames.SignalRServiceUri)] = Endpoint,
            [SettingNames.ConfigKey(SettingNames.SignalRCredential)] = credential,
        }));

        Assert.Equal(SettingNames.SignalRCredential, failure.Setting);
        Assert.Contains("managedidentity", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("demo.service.signalr.net")]
    [InlineData("http://demo.service.signalr.net")]
    public void A_service_uri_that_is_not_absolute_https_fails_naming_its_setting(string uri)
    {
        var failure = Assert.Throws<GatewayConfigurationException>(() => Read(new() { [SettingNames.ConfigKey(SettingNames.SignalRServiceUri)] = uri }));

        Assert.Equal(SettingNames.SignalRServiceUri, failure.Setting);
    }

    [Fact]
    public void An_identity_connection_string_over_plain_http_fails_naming_it()
    {
        var failure = Assert.Throws<GatewayConfigurationException>(() => Read(new() { [SettingNames.SignalR] = "Endpoint=http://localhost;Port=8888;AuthType=azure.msi;" }));

        Assert.Equal(SettingNames.SignalR, failure.Setting);
        Assert.Contains("https", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Neither_a_connection_string_nor_a_service_uri_fails_naming_both_settings()
    {
        var failure = Assert.Throws<GatewayConfigurationException>(() => Read(new()));

        Assert.Equal(SettingNames.SignalR, failure.Setting);
        Assert.Contains($"Setting '{SettingNames.SignalR}'", failure.Message, StringComparison.Ordinal);
        Assert.Contains(SettingNames.SignalRServiceUri, failure.Message, StringComparison.Ordinal);
        Assert.Contains("AuthType=azure.msi", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("needs an AccessKey", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_access_key_form_still_gives_access_key_mode_with_the_secondary_key()
    {
        var options = Read(new()
        {
            [SettingNames.SignalR] = "Endpoint=http://localhost;Port=8888;AccessKey=primary-key;Version=1.0;",
            ["Gateway:SecondaryAccessKey"] = "secondary-key",
        });

        Assert.Null(options.Identity);
        Assert.Equal(["primary-key", "secondary-key"], options.AccessKeys);
        Assert.Equal(SignalRAuthType.AccessKey, options.Connection.AuthType);
        Assert.Equal(new Uri("http://localhost:8888"), options.Connection.Endpoint);
    }

    [Fact]
    public void The_connection_string_wins_over_a_service_uri_as_in_the_functions_extension()
    {
        var options = Read(new()
        {
            [SettingNames.SignalR] = "Endpoint=http://localhost;Port=8888;AccessKey=primary-key;Version=1.0;",
            [SettingNames.ConfigKey(SettingNames.SignalRServiceUri)] = Endpoint,
        });

        Assert.Null(options.Identity);
        Assert.Equal(["primary-key"], options.AccessKeys);
    }

    [Fact]
    public void A_malformed_connection_string_fails_naming_it_and_the_problem_without_its_values()
    {
        var failure = Assert.Throws<GatewayConfigurationException>(() => Read(new() { [SettingNames.SignalR] = "Endpoint=https://x;AuthType=kerberos;AccessKey=do-not-print-me" }));

        Assert.Equal(SettingNames.SignalR, failure.Setting);
        Assert.Contains("AuthType", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("do-not-print-me", failure.Message, StringComparison.Ordinal);
    }

    private static SignalRServiceOptions Read(Dictionary<string, string?> settings)
        => SignalRServiceOptions.FromConfiguration(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
}
