using System.Text.Json;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Hosting;
using FunctionsGateway.SignalR.Serverless;
using FunctionsGateway.Tests.SignalR.Serverless;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace FunctionsGateway.Tests.Hosting;

/// <summary>
/// The gateway's SignalR registrations under Entra ID, with the credential a test injects by replacing
/// <see cref="SignalRServiceCredential"/>: negotiate signs with the fetched key, REST carries the Entra token, and with
/// no valid key negotiate answers a structured 503, never a 500. The access-key form is registered as before.
/// </summary>
public sealed class SignalRTransportTests : IAsyncLifetime
{
    private const string AccessKeySecret = "temporary-secret-from-the-service";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FakeTokenCredential _credential = new();
    private FakeSignalRService _service = null!;

    public async Task InitializeAsync() => _service = await FakeSignalRService.StartAsync();

    public async Task DisposeAsync() => await _service.DisposeAsync();

    [Fact]
    public async Task Under_entra_the_key_is_warmed_up_at_start_negotiate_names_it_and_rest_carries_the_entra_token()
    {
        _service.ServeKey("kid-1", AccessKeySecret);
        await using var services = Build(new()
        {
            [SettingNames.ConfigKey(SettingNames.SignalRServiceUri)] = _service.Endpoint.ToString(),
            [SettingNames.ConfigKey(SettingNames.SignalRCredential)] = "managedidentity",
        });
        await StartHostedServicesAsync(services);
        await Until.TrueAsync(() => services.GetRequiredService<IClientTokenKeySource>().TryGetKey(out _), "the warm-up fetched the key");

        var reply = await services.GetRequiredService<NegotiateEndpoint>().HandleAsync(new DefaultHttpContext().Request, CancellationToken.None);
        await services.GetRequiredService<ISignalRServiceClient>().CloseConnectionAsync("gateway", "conn-1", null);

        Assert.Equal(200, reply.Status);
        var token = JsonDocument.Parse(reply.Body).RootElement.GetProperty("accessToken").GetString()!;
        Assert.Equal("kid-1", Jwt.Header(token).GetProperty("kid").GetString());
        Assert.True(ServiceJwt.TryValidate(token, [AccessKeySecret], services.GetRequiredService<NegotiateResponseFactory>().GetClientAudience("gateway"), _time.GetUtcNow(), out _, out _));
        Assert.Single(_service.KeyFetches);
        var close = _service.Requests[^1];
        Assert.Equal("Bearer " + FakeTokenCredential.DefaultToken, close.Authorization);
        Assert.StartsWith("/api/hubs/gateway/connections/conn-1", close.PathAndQuery, StringComparison.Ordinal);
        Assert.Empty(services.GetRequiredService<SignalRServiceOptions>().AccessKeys);
    }

    [Fact]
    public async Task Without_a_valid_key_negotiate_answers_503_saying_the_signing_key_is_unavailable()
    {
        _service.FailKeyWith(500);
        await using var services = Build(new() { [SettingNames.SignalR] = $"Endpoint={_service.Endpoint.GetLeftPart(UriPartial.Authority)};AuthType=azure.msi;Version=1.0;" });

        var reply = await services.GetRequiredService<NegotiateEndpoint>().HandleAsync(new DefaultHttpContext().Request, CancellationToken.None);

        Assert.Equal(503, reply.Status);
        Assert.StartsWith("application/json", reply.ContentType, StringComparison.Ordinal);
        Assert.NotNull(reply.RetryAfter);
        var error = JsonDocument.Parse(reply.Body).RootElement.GetProperty("error");
        Assert.Equal("UNAVAILABLE", error.GetProperty("code").GetString());
        Assert.Equal("the SignalR service's signing key is unavailable; retry later", error.GetProperty("message").GetString());
        Assert.Equal("SIGNALR_KEY_UNAVAILABLE", error.GetProperty("details").GetProperty("code").GetString());
        Assert.True(error.GetProperty("details").GetProperty("retryAfterMs").GetInt64() > 0);
    }

    [Fact]
    public async Task The_access_key_form_registers_access_key_signing_and_no_credential()
    {
        await using var services = Build(new() { [SettingNames.SignalR] = "Endpoint=http://localhost;Port=8888;AccessKey=the-access-key;Version=1.0;" });

        var reply = await services.GetRequiredService<NegotiateEndpoint>().HandleAsync(new DefaultHttpContext().Request, CancellationToken.None);

        var token = JsonDocument.Parse(reply.Body).RootElement.GetProperty("accessToken").GetString()!;
        Assert.False(Jwt.Header(token).TryGetProperty("kid", out _));
        Assert.True(ServiceJwt.TryValidate(token, ["the-access-key"], "http://localhost/client/?hub=gateway", _time.GetUtcNow(), out _, out _));
        Assert.IsType<AccessKeyClientTokenKeySource>(services.GetRequiredService<IClientTokenKeySource>());
        Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<SignalRServiceCredential>());
        Assert.Empty(_service.Requests);
    }

    /// <summary>How a test injects its credential: replace <see cref="SignalRServiceCredential"/> after the registrations.</summary>
    private ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(_time);
        services.AddSignalRTransport(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddHttpClient(SignalRTransportServiceCollectionExtensions.HttpClientName).ConfigurePrimaryHttpMessageHandler(_service.CreateHandler);
        if (settings.ContainsKey(SettingNames.ConfigKey(SettingNames.SignalRServiceUri)) || settings[SettingNames.SignalR]!.Contains("AuthType", StringComparison.Ordinal))
        {
            services.Replace(ServiceDescriptor.Singleton(new SignalRServiceCredential(_credential)));
        }

        return services.BuildServiceProvider();
    }

    private static async Task StartHostedServicesAsync(IServiceProvider services)
    {
        foreach (var hosted in services.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }
    }
}
