using System.Buffers;
using System.Security.Claims;
using System.Text;
using FunctionsGateway.SignalR.Serverless;

namespace FunctionsGateway.Tests.SignalR.Serverless;

public class NegotiateResponseFactoryTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly SignalRConnectionString Emulator = SignalRConnectionString.Parse(SignalRConnectionString.Emulator);
    private static readonly SignalRConnectionString Azure = SignalRConnectionString.Parse("Endpoint=https://demo.service.signalr.net;AccessKey=key;Version=1.0;");

    private static NegotiateResponseFactory Factory(SignalRConnectionString? cs = null, TimeSpan? lifetime = null) =>
        new(cs ?? Emulator, lifetime, new FixedTimeProvider(Now));

    [Fact]
    public void Negotiate_url_keeps_the_port_and_lower_cases_the_hub()
    {
        var response = Factory().Create("Gateway", "user-1");

        Assert.Equal("http://localhost:8888/client/?hub=gateway", response.Url);
    }

    [Fact]
    public void Negotiate_token_audience_has_no_port()
    {
        var response = Factory().Create("Gateway", "user-1");

        Assert.Equal("http://localhost/client/?hub=gateway", Jwt.Payload(response.AccessToken).GetProperty("aud").GetString());
    }

    [Fact]
    public void Negotiate_url_uses_the_client_endpoint_but_the_audience_stays_on_the_service_host()
    {
        var cs = SignalRConnectionString.Parse("Endpoint=https://demo.service.signalr.net;AccessKey=key;ClientEndpoint=https://edge.contoso.com:8443/signalr");

        var response = Factory(cs).Create("gateway", "u");

        Assert.Equal("https://edge.contoso.com:8443/signalr/client/?hub=gateway", response.Url);
        Assert.Equal("https://demo.service.signalr.net/client/?hub=gateway", Jwt.Payload(response.AccessToken).GetProperty("aud").GetString());
    }

    [Fact]
    public void User_id_is_written_to_both_nameid_and_asrs_s_uid()
    {
        var payload = Jwt.Payload(Factory().Create("gateway", "device:abc").AccessToken);

        Assert.Equal("device:abc", payload.GetProperty("nameid").GetString());
        Assert.Equal("device:abc", payload.GetProperty("asrs.s.uid").GetString());
    }

    [Fact]
    public void Anonymous_negotiate_has_no_user_claims()
    {
        var payload = Jwt.Payload(Factory().Create("gateway", null).AccessToken);

        Assert.False(payload.TryGetProperty("nameid", out _));
        Assert.False(payload.TryGetProperty("asrs.s.uid", out _));
    }

    [Fact]
    public void Exp_defaults_to_one_hour_and_nbf_and_iat_are_now()
    {
        var payload = Jwt.Payload(Factory().Create("gateway", "u").AccessToken);

        Assert.Equal(Now.AddHours(1).ToUnixTimeSeconds(), payload.GetProperty("exp").GetInt64());
        Assert.Equal(Now.ToUnixTimeSeconds(), payload.GetProperty("nbf").GetInt64());
        Assert.Equal(Now.ToUnixTimeSeconds(), payload.GetProperty("iat").GetInt64());
    }

    [Fact]
    public void Lifetime_is_configurable_per_factory_and_per_call()
    {
        var factory = Factory(lifetime: TimeSpan.FromMinutes(15));

        Assert.Equal(Now.AddMinutes(15).ToUnixTimeSeconds(), Jwt.Payload(factory.Create("gateway", "u").AccessToken).GetProperty("exp").GetInt64());
        Assert.Equal(Now.AddMinutes(2).ToUnixTimeSeconds(), Jwt.Payload(factory.Create("gateway", "u", lifetime: TimeSpan.FromMinutes(2)).AccessToken).GetProperty("exp").GetInt64());
    }

    [Theory]
    [InlineData("aud")]
    [InlineData("exp")]
    [InlineData("iat")]
    [InlineData("nbf")]
    [InlineData("iss")]
    [InlineData("actort")]
    [InlineData("acr")]
    [InlineData("azp")]
    [InlineData("c_hash")]
    [InlineData("jti")]
    [InlineData("nonce")]
    public void Custom_claims_named_like_system_claims_get_the_asrs_u_prefix(string name)
    {
        var token = Factory().Create("gateway", "u", [new(name, "custom")]).AccessToken;
        var payload = Jwt.Payload(token);

        Assert.Equal("custom", payload.GetProperty("asrs.u." + name).GetString());
        if (name is not ("aud" or "exp" or "iat" or "nbf"))
        {
            Assert.False(payload.TryGetProperty(name, out _));
        }
    }

    [Fact]
    public void Other_custom_claims_pass_through_and_repeats_become_arrays()
    {
        var payload = Jwt.Payload(Factory().Create("gateway", "u", [new("role", "operator"), new("scope", "a"), new("role", "node")]).AccessToken);

        Assert.Equal(["operator", "node"], payload.GetProperty("role").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("a", payload.GetProperty("scope").GetString());
    }

    [Fact]
    public void Only_the_first_sub_stays_sub()
    {
        var payload = Jwt.Payload(Factory().Create("gateway", "u", [new("sub", "first"), new("sub", "second")]).AccessToken);

        Assert.Equal("first", payload.GetProperty("sub").GetString());
        Assert.Equal("second", payload.GetProperty("asrs.u.sub").GetString());
    }

    [Fact]
    public void Long_dotnet_claim_types_are_shortened()
    {
        var payload = Jwt.Payload(Factory().Create("gateway", "u", [new(ClaimTypes.Role, "operator"), new(ClaimTypes.Name, "Ann")]).AccessToken);

        Assert.Equal("operator", payload.GetProperty("role").GetString());
        Assert.Equal("Ann", payload.GetProperty("unique_name").GetString());
    }

    [Theory]
    [InlineData("asrs.s.uid")]
    [InlineData("nameid")]
    [InlineData(ClaimTypes.NameIdentifier)]
    public void A_second_user_id_in_custom_claims_is_refused(string type)
    {
        Assert.Throws<ArgumentException>(() => Factory().Create("gateway", "u", [new(type, "other")]));
    }

    [Fact]
    public void Token_for_typical_claims_is_well_under_4_kb()
    {
        var token = Factory(Azure).Create("gateway", "device:" + new string('a', 64), [new("role", "operator"), new("scope", "operator.read")]).AccessToken;

        Assert.InRange(token.Length, 100, 1024);
    }

    [Fact]
    public void Token_longer_than_4096_characters_is_refused()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Factory().Create("gateway", "u", [new("blob", new string('x', 3100))]));

        Assert.Contains("4096", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Token_validates_against_the_client_audience()
    {
        var factory = Factory(Azure);
        var response = factory.Create("Gateway", "u1");

        Assert.True(ServiceJwt.TryValidate(response.AccessToken, ["key"], factory.GetClientAudience("gateway"), Now, out var payload, out var error), error);
        Assert.Equal("u1", payload.UserId);
        Assert.Equal("https://demo.service.signalr.net/client/?hub=gateway", factory.GetClientAudience("GATEWAY"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1hub")]
    [InlineData("hub?x=1")]
    [InlineData("hub&hub=other")]
    public void Invalid_hub_names_are_refused(string hub)
    {
        Assert.Throws<ArgumentException>(() => Factory().Create(hub, "u"));
    }

    [Fact]
    public void Identity_connection_strings_are_refused()
    {
        var cs = SignalRConnectionString.Parse("Endpoint=https://demo.service.signalr.net;AuthType=azure.msi");

        Assert.Throws<InvalidOperationException>(() => new NegotiateResponseFactory(cs));
    }

    [Fact]
    public void Response_json_is_exactly_url_and_access_token()
    {
        var response = new NegotiateResponse("http://localhost:8888/client/?hub=gateway", "aaa.bbb.ccc");

        Assert.Equal(
            "{\"url\":\"http://localhost:8888/client/?hub=gateway\",\"accessToken\":\"aaa.bbb.ccc\"}",
            Encoding.UTF8.GetString(response.ToJsonUtf8Bytes()));
    }

    [Fact]
    public void Response_json_can_be_written_to_a_buffer_writer()
    {
        var response = Factory().Create("gateway", "u");
        var buffer = new ArrayBufferWriter<byte>();

        response.WriteJson(buffer);

        Assert.Equal($"{{\"url\":\"{response.Url}\",\"accessToken\":\"{response.AccessToken}\"}}", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public void Response_to_string_does_not_contain_the_token()
    {
        var response = Factory().Create("gateway", "u");

        Assert.DoesNotContain(response.AccessToken, response.ToString(), StringComparison.Ordinal);
    }
}
