using System.Text;
using System.Text.Json;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Hosting;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;
using FunctionsGateway.SignalR.Serverless;
using FunctionsGateway.Tests.SignalR.Serverless;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.IntegrationTests.Hosting;

/// <summary>
/// A gateway configured only as a keyless deployment configures it (the app settings of infra/modules/appsettings.bicep):
/// a SignalR service URI with a managed identity, and the upstream bound to the service's identity. With no key
/// anywhere it negotiates with the service's temporary key, lets the service identity's token in upstream, dispatches
/// the call against storage, and calls REST with its Entra token.
/// </summary>
public sealed class KeylessGatewayTests
{
    [Fact]
    public async Task Settings_alone_give_a_working_keyless_gateway_from_negotiate_through_upstream_to_rest()
    {
        await using var service = await FakeSignalRService.StartAsync();
        await using var issuer = await LocalOpenIdIssuer.StartAsync();
        service.ServeKey("kid-keyless", "temporary-key-from-the-service-0123456789");
        await using var gw = await KeylessGateway(service, issuer, new FakeTokenCredential());

        var negotiate = await gw.Get<NegotiateEndpoint>().HandleAsync(new DefaultHttpContext().Request, CancellationToken.None);
        Assert.Equal(200, negotiate.Status);
        var accessToken = JsonDocument.Parse(negotiate.Body).RootElement.GetProperty("accessToken").GetString()!;
        using (var header = JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(accessToken.Split('.')[0])))
        {
            Assert.Equal("kid-keyless", header.RootElement.GetProperty("kid").GetString());
        }

        var connectionId = GatewayHarness.NewConnectionId();
        var reply = await ChallengeAsync(gw, connectionId, "Bearer " + issuer.Mint());
        Assert.Equal(200, reply.Status);
        Assert.True(Completion(reply).GetProperty("ok").GetBoolean());

        await gw.Get<ISignalRServiceClient>().SendToConnectionAsync(GatewayProtocol.Hub, connectionId, "event", "[{}]"u8.ToArray());
        var send = Assert.Single(service.Requests, r => r.Method == "POST");
        Assert.Equal("Bearer " + FakeTokenCredential.DefaultToken, send.Authorization);

        Assert.Empty(gw.Get<SignalRServiceOptions>().AccessKeys);
        var auth = Assert.Single(service.KeyFetches);
        Assert.Equal("Bearer " + FakeTokenCredential.DefaultToken, auth.Authorization);
    }

    [Fact]
    public async Task Without_a_key_the_upstream_refuses_a_token_from_another_identity_and_a_request_with_no_token()
    {
        await using var service = await FakeSignalRService.StartAsync();
        await using var issuer = await LocalOpenIdIssuer.StartAsync();
        await using var gw = await KeylessGateway(service, issuer, new FakeTokenCredential());
        gw.StorageRequests.Clear();

        Assert.Equal(401, (await ChallengeAsync(gw, GatewayHarness.NewConnectionId(), "Bearer " + issuer.Defective(TokenDefect.AnotherOid))).Status);
        Assert.Equal(401, (await ChallengeAsync(gw, GatewayHarness.NewConnectionId(), authorization: null)).Status);
        Assert.Empty(gw.StorageRequests.Requests);
    }

    [Fact]
    public void Without_a_key_the_upstream_settings_are_required_and_start_up_names_them()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [SettingNames.ConfigKey(SettingNames.SignalRServiceUri)] = "https://example.service.signalr.net",
            [SettingNames.ConfigKey(SettingNames.SignalRCredential)] = "managedidentity",
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSignalRTransport(configuration);
        services.AddUpstreamAuthentication(configuration);
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<UpstreamAuthOptions>>().Value);
        Assert.Contains(SettingNames.UpstreamAudience, error.Message, StringComparison.Ordinal);
        Assert.Contains(SettingNames.UpstreamPrincipalId, error.Message, StringComparison.Ordinal);
        Assert.Contains(SettingNames.UpstreamTenantId, error.Message, StringComparison.Ordinal);
    }

    private static async Task<GatewayHarness> KeylessGateway(FakeSignalRService service, LocalOpenIdIssuer issuer, FakeTokenCredential credential)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [SettingNames.ConfigKey(SettingNames.SignalRServiceUri)] = service.Endpoint.ToString(),
            [SettingNames.ConfigKey(SettingNames.SignalRCredential)] = "managedidentity",
            [SettingNames.ConfigKey(SettingNames.SignalRClientId)] = Guid.NewGuid().ToString(),
            [SettingNames.ConfigKey(SettingNames.UpstreamMetadataAddress)] = issuer.MetadataAddress.AbsoluteUri,
            [SettingNames.ConfigKey(SettingNames.UpstreamAudience)] = LocalOpenIdIssuer.Audience,
            [SettingNames.ConfigKey(SettingNames.UpstreamPrincipalId)] = LocalOpenIdIssuer.PrincipalId.ToString(),
        }).Build();
        return await GatewayHarness.StartAsync(services =>
        {
            services.AddSignalRTransport(configuration);
            services.AddHttpClient(SignalRTransportServiceCollectionExtensions.HttpClientName).ConfigurePrimaryHttpMessageHandler(service.CreateHandler);
            services.Replace(ServiceDescriptor.Singleton(new SignalRServiceCredential(credential)));
            services.AddUpstreamAuthentication(configuration);
            services.AddSingleton<ConnectionCloseScheduler>();
            services.AddSingleton<UpstreamEndpoint>();
        });
    }

    private static async Task<HttpReply> ChallengeAsync(GatewayHarness gw, string connectionId, string? authorization)
    {
        var request = new DefaultHttpContext().Request;
        request.Method = "POST";
        request.Headers[UpstreamHeaders.ConnectionIdHeader] = connectionId;
        request.Headers[UpstreamHeaders.HubHeader] = GatewayProtocol.Hub;
        request.Headers[UpstreamHeaders.CategoryHeader] = "messages";
        request.Headers[UpstreamHeaders.EventHeader] = GatewayProtocol.RequestTarget;
        if (authorization is not null)
        {
            request.Headers.Authorization = authorization;
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            type = 1, invocationId = "1", target = GatewayProtocol.RequestTarget, arguments = new object[] { new { method = GatewayMethods.ConnectChallenge } },
        });
        request.ContentType = "application/json";
        request.Body = new MemoryStream(body);
        return await gw.Get<UpstreamEndpoint>().HandleAsync(request, CancellationToken.None);
    }

    private static JsonElement Completion(HttpReply reply)
    {
        using var completion = JsonDocument.Parse(reply.Body[..^1]);
        return completion.RootElement.GetProperty("result").Clone();
    }
}
