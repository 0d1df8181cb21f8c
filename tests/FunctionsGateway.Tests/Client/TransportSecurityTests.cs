using FunctionsGateway.Client;

namespace FunctionsGateway.Tests.Client;

public sealed class TransportSecurityTests
{
    [Theory]
    [InlineData("http://127.0.0.1:7071", true)]
    [InlineData("http://localhost:7071", true)]
    [InlineData("https://gateway.example.com", true)]
    [InlineData("http://gateway.example.com", false)]
    [InlineData("http://10.0.0.5:7071", false)]
    public void Tokens_and_keys_never_travel_over_plain_http_to_another_host(string url, bool allowed)
    {
        var options = new GatewayClientOptions { GatewayUrl = new Uri(url), Scopes = ["operator.read"] };

        if (allowed)
        {
            options.Validate();
            using var admin = new GatewayAdminClient(new Uri(url), "an-admin-key-0123456789");
        }
        else
        {
            Assert.Throws<ArgumentException>(options.Validate);
            Assert.Throws<ArgumentException>(() => new GatewayAdminClient(new Uri(url), "an-admin-key-0123456789"));
            options.AllowInsecureHttp = true;
            options.Validate();
        }
    }
}
