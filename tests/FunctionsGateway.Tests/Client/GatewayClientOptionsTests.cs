using FunctionsGateway.Client;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Tests.Client;

public sealed class GatewayClientOptionsTests
{
    [Fact]
    public void Scopes_are_split_on_commas_and_spaces_deduplicated_and_put_in_canonical_order()
    {
        Assert.Equal(["operator.read", "operator.write"], GatewayClientOptions.ParseScopes("operator.write, operator.read,operator.write"));
        Assert.Equal(["operator.admin", "operator.pairing"], GatewayClientOptions.ParseScopes("operator.pairing operator.admin"));
        Assert.Empty(GatewayClientOptions.ParseScopes(""));
        Assert.Empty(GatewayClientOptions.ParseScopes(null));
    }

    [Fact]
    public void An_unknown_scope_is_refused_by_name()
    {
        var error = Assert.Throws<FormatException>(() => GatewayClientOptions.ParseScopes("operator.read,operator.root"));
        Assert.Contains("operator.root", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Environment_variables_supply_the_url_shared_token_and_identity_path()
    {
        var environment = new Dictionary<string, string?>
        {
            ["GATEWAY_URL"] = "https://gw.example.net/",
            ["GATEWAY_SHARED_TOKEN"] = "s3cret",
            ["GATEWAY_IDENTITY"] = "/tmp/id.json",
        };

        var options = GatewayClientOptions.FromEnvironment(name => environment.GetValueOrDefault(name));

        Assert.Equal(new Uri("https://gw.example.net/"), options.GatewayUrl);
        Assert.Equal("s3cret", options.SharedToken);
        Assert.Equal("/tmp/id.json", options.IdentityPath);
    }

    [Fact]
    public void Without_environment_variables_the_defaults_apply()
    {
        var options = GatewayClientOptions.FromEnvironment(_ => null);

        Assert.Equal(new Uri("http://127.0.0.1:7071"), options.GatewayUrl);
        Assert.Null(options.SharedToken);
        Assert.Null(options.IdentityPath);
        Assert.Equal("functionsgateway-dotnet", options.ClientId);
        Assert.Equal("cli", options.ClientMode);
        Assert.Equal("operator", options.Role);
        Assert.False(options.UseMessagePack);
        Assert.Null(options.Transports);
        Assert.Equal(DeviceAuthPayload.NormalizeMetadata(options.Platform), options.Platform);
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal("linux", options.Platform);
        }
    }

    [Theory]
    [InlineData("ftp://x")]
    [InlineData("not a url")]
    [InlineData("/relative")]
    public void A_url_that_is_not_absolute_http_is_refused(string url)
        => Assert.Throws<FormatException>(() => GatewayClientOptions.ParseUrl(url));

    [Theory]
    [InlineData("health", new string[0])]
    [InlineData("status", new[] { "operator.read" })]
    [InlineData("agent", new[] { "operator.write" })]
    [InlineData("sessions.patch", new[] { "operator.admin" })]
    [InlineData("device.pair.list", new[] { "operator.pairing" })]
    [InlineData("no.such.method", new[] { "operator.admin" })]
    public void Call_scopes_default_to_the_least_privilege_of_the_method(string method, string[] expected)
        => Assert.Equal(expected, GatewayClientOptions.LeastPrivilegeScopes(method));

    [Fact]
    public void Validation_refuses_an_unknown_role_or_scope()
    {
        Assert.Throws<ArgumentException>(() => new GatewayClientOptions { Role = "root" }.Validate());
        Assert.Throws<ArgumentException>(() => new GatewayClientOptions { Scopes = ["operator.everything"] }.Validate());
        new GatewayClientOptions { Role = "node" }.Validate();
    }

    [Fact]
    public void The_client_block_carries_id_version_platform_family_and_mode()
    {
        var client = new GatewayClientOptions { Platform = "linux", DeviceFamily = "server", ClientVersion = "1.2.3" }.ToClientInfo();

        Assert.Equal("functionsgateway-dotnet", client.Id);
        Assert.Equal("1.2.3", client.Version);
        Assert.Equal("linux", client.Platform);
        Assert.Equal("server", client.DeviceFamily);
        Assert.Equal("cli", client.Mode);
        Assert.Null(new GatewayClientOptions().ToClientInfo().DeviceFamily);
    }

    [Fact]
    public void A_clone_does_not_share_the_scope_list()
    {
        var options = new GatewayClientOptions { Scopes = ["operator.read"] };
        var clone = options.Clone();
        options.Scopes.Add("operator.write");

        Assert.Equal(["operator.read"], clone.Scopes);
    }

    [Theory]
    [InlineData("http://127.0.0.1:7071", "http://127.0.0.1:7071/api")]
    [InlineData("http://127.0.0.1:7071/", "http://127.0.0.1:7071/api")]
    [InlineData("https://gw.example.net/prefix", "https://gw.example.net/prefix/api")]
    public void The_hub_url_is_the_api_path_under_the_base_url(string baseUrl, string expected)
        => Assert.Equal(new Uri(expected), GatewayConnection.HubUrl(new Uri(baseUrl)));
}
