using FunctionsGateway.SignalR.Serverless;

namespace FunctionsGateway.Tests.SignalR.Serverless;

public class SignalRConnectionStringTests
{
    private const string Secret = "c2VjcmV0LWtleS13aXRoLWJhc2U2NC1wYWRkaW5nPT0=";

    [Fact]
    public void Parse_reads_endpoint_access_key_and_version()
    {
        var cs = SignalRConnectionString.Parse($"Endpoint=https://demo.service.signalr.net;AccessKey={Secret};Version=1.0;");

        Assert.Equal(new Uri("https://demo.service.signalr.net"), cs.Endpoint);
        Assert.Equal(Secret, cs.AccessKey);
        Assert.Equal("1.0", cs.Version);
        Assert.Equal(SignalRAuthType.AccessKey, cs.AuthType);
        Assert.Null(cs.ClientEndpoint);
        Assert.Null(cs.ServerEndpoint);
    }

    [Fact]
    public void Keys_are_case_insensitive()
    {
        var cs = SignalRConnectionString.Parse("ENDPOINT=https://demo.service.signalr.net;accesskey=abc;vErSiOn=1.0;PORT=444");

        Assert.Equal("abc", cs.AccessKey);
        Assert.Equal("1.0", cs.Version);
        Assert.Equal(444, cs.Endpoint.Port);
    }

    [Fact]
    public void Values_are_split_at_the_first_equals_sign_so_base64_padding_survives()
    {
        var cs = SignalRConnectionString.Parse("Endpoint=https://demo.service.signalr.net;AccessKey=ab=c==;");

        Assert.Equal("ab=c==", cs.AccessKey);
    }

    [Fact]
    public void Empty_segments_and_whitespace_are_ignored()
    {
        var cs = SignalRConnectionString.Parse(";; Endpoint = https://demo.service.signalr.net ;;AccessKey=abc; ;");

        Assert.Equal("https://demo.service.signalr.net/", cs.Endpoint.AbsoluteUri);
        Assert.Equal("abc", cs.AccessKey);
    }

    [Fact]
    public void Duplicate_key_is_rejected_without_echoing_values()
    {
        var ex = Assert.Throws<FormatException>(() =>
            SignalRConnectionString.Parse($"Endpoint=https://demo.service.signalr.net;AccessKey={Secret};accesskey={Secret}x"));

        Assert.Contains("duplicate", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Secret, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_endpoint_is_rejected()
    {
        var ex = Assert.Throws<FormatException>(() => SignalRConnectionString.Parse($"AccessKey={Secret};Version=1.0"));

        Assert.Contains("Endpoint", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://demo.service.signalr.net")]
    [InlineData("demo.service.signalr.net")]
    [InlineData("/relative")]
    [InlineData("")]
    public void Endpoint_must_be_an_absolute_http_or_https_uri(string endpoint)
    {
        Assert.Throws<FormatException>(() => SignalRConnectionString.Parse($"Endpoint={endpoint};AccessKey={Secret}"));
    }

    [Fact]
    public void Trailing_slash_on_the_endpoint_is_trimmed()
    {
        var cs = SignalRConnectionString.Parse("Endpoint=https://demo.service.signalr.net/;AccessKey=abc");

        Assert.Equal("https://demo.service.signalr.net/", cs.Endpoint.AbsoluteUri);
        Assert.Equal("https://demo.service.signalr.net/", cs.AudienceBase);
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("1.12")]
    [InlineData("1.0-preview")]
    [InlineData("1.0.1")]
    public void Supported_versions_are_accepted(string version)
    {
        Assert.Equal(version, SignalRConnectionString.Parse($"Endpoint=https://x.service.signalr.net;AccessKey=abc;Version={version}").Version);
    }

    [Theory]
    [InlineData("2.0")]
    [InlineData("1")]
    [InlineData("1.")]
    [InlineData("v1.0")]
    [InlineData("1.0 beta")]
    public void Unsupported_versions_are_rejected(string version)
    {
        Assert.Throws<FormatException>(() => SignalRConnectionString.Parse($"Endpoint=https://x.service.signalr.net;AccessKey=abc;Version={version}"));
    }

    [Fact]
    public void Port_overrides_the_endpoint_port()
    {
        var cs = SignalRConnectionString.Parse("Endpoint=https://x.service.signalr.net:1234;AccessKey=abc;Port=8443");

        Assert.Equal(8443, cs.Endpoint.Port);
        Assert.Equal("https://x.service.signalr.net:8443/", cs.Endpoint.AbsoluteUri);
        Assert.Equal("https://x.service.signalr.net/", cs.AudienceBase);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("-1")]
    [InlineData("80a")]
    [InlineData("")]
    public void Port_outside_1_to_65535_is_rejected(string port)
    {
        Assert.Throws<FormatException>(() => SignalRConnectionString.Parse($"Endpoint=https://x.service.signalr.net;AccessKey=abc;Port={port}"));
    }

    [Fact]
    public void Access_key_is_required_without_an_auth_type()
    {
        var ex = Assert.Throws<FormatException>(() => SignalRConnectionString.Parse("Endpoint=https://x.service.signalr.net;Version=1.0"));

        Assert.Contains("AccessKey", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("azure", SignalRAuthType.Azure)]
    [InlineData("azure.msi", SignalRAuthType.AzureMsi)]
    [InlineData("azure.app", SignalRAuthType.AzureApp)]
    [InlineData("Azure.MSI", SignalRAuthType.AzureMsi)]
    public void Identity_auth_types_do_not_need_an_access_key(string authType, SignalRAuthType expected)
    {
        var cs = SignalRConnectionString.Parse($"Endpoint=https://x.service.signalr.net;AuthType={authType};ClientId=cid;TenantId=tid");

        Assert.Equal(expected, cs.AuthType);
        Assert.Null(cs.AccessKey);
        Assert.Equal("cid", cs.ClientId);
        Assert.Equal("tid", cs.TenantId);
    }

    [Fact]
    public void Unknown_auth_type_is_rejected()
    {
        Assert.Throws<FormatException>(() => SignalRConnectionString.Parse("Endpoint=https://x.service.signalr.net;AuthType=kerberos"));
    }

    [Fact]
    public void Client_and_server_base_uris_default_to_the_endpoint()
    {
        var cs = SignalRConnectionString.Parse("Endpoint=https://x.service.signalr.net;AccessKey=abc");

        Assert.Same(cs.Endpoint, cs.ClientBaseUri);
        Assert.Same(cs.Endpoint, cs.ServerBaseUri);
    }

    [Fact]
    public void Client_and_server_endpoints_override_the_base_uris()
    {
        var cs = SignalRConnectionString.Parse(
            "Endpoint=https://x.service.signalr.net;AccessKey=abc;ClientEndpoint=https://apim.contoso.com/signalr/;ServerEndpoint=http://10.0.0.4:8080");

        Assert.Equal("https://apim.contoso.com/signalr", cs.ClientBaseUri.AbsoluteUri);
        Assert.Equal("http://10.0.0.4:8080/", cs.ServerBaseUri.AbsoluteUri);
        Assert.Equal("https://x.service.signalr.net/", cs.AudienceBase);
    }

    [Fact]
    public void Invalid_client_endpoint_is_rejected()
    {
        Assert.Throws<FormatException>(() => SignalRConnectionString.Parse("Endpoint=https://x.service.signalr.net;AccessKey=abc;ClientEndpoint=apim"));
    }

    [Fact]
    public void Emulator_string_parses_to_localhost_port_8888_with_the_fixed_key()
    {
        var cs = SignalRConnectionString.Parse(SignalRConnectionString.Emulator);

        Assert.Equal("http://localhost:8888/", cs.Endpoint.AbsoluteUri);
        Assert.Equal("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH", cs.AccessKey);
        Assert.Equal("1.0", cs.Version);
        Assert.Equal("http://localhost/", cs.AudienceBase);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("Endpoint=https://x.service.signalr.net")]
    public void TryParse_returns_false_instead_of_throwing(string? value)
    {
        Assert.False(SignalRConnectionString.TryParse(value, out var result));
        Assert.Null(result);
    }

    [Fact]
    public void TryParse_returns_the_parsed_value_on_success()
    {
        Assert.True(SignalRConnectionString.TryParse(SignalRConnectionString.Emulator, out var result));
        Assert.Equal(8888, result.Endpoint.Port);
    }

    [Theory]
    [InlineData("Endpoint=ftp://x;AccessKey={0}")]
    [InlineData("Endpoint=https://x;AccessKey={0};Port=99999")]
    [InlineData("Endpoint=https://x;AccessKey={0};Version=9")]
    [InlineData("Endpoint=https://x;AccessKey={0};AuthType=nope")]
    [InlineData("Endpoint=https://x;{0}")]
    [InlineData("AccessKey={0}")]
    [InlineData("Endpoint=https://x;AccessKey={0};ClientEndpoint={0}")]
    [InlineData("Endpoint={0};AccessKey=x")]
    public void Error_messages_never_contain_the_access_key(string template)
    {
        var ex = Assert.Throws<FormatException>(() => SignalRConnectionString.Parse(string.Format(template, Secret)));

        Assert.DoesNotContain("c2VjcmV0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_hides_the_access_key()
    {
        var text = SignalRConnectionString.Parse($"Endpoint=https://x.service.signalr.net;AccessKey={Secret}").ToString();

        Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
        Assert.Contains("https://x.service.signalr.net", text, StringComparison.Ordinal);
    }
}
