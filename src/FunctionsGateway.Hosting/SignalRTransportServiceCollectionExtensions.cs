using FunctionsGateway.SignalR.Serverless;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Hosting;

/// <summary>The gateway's side of the SignalR service: its settings, negotiate, and the REST client, with an access key or under Entra ID.</summary>
public static class SignalRTransportServiceCollectionExtensions
{
    /// <summary>The named <see cref="HttpClient"/> every call to the service goes through (REST, and the temporary-key fetch).</summary>
    public const string HttpClientName = nameof(SignalRRestClient);

    /// <summary>
    /// Registers <see cref="SignalRServiceOptions"/>, the client-token key source, <see cref="NegotiateResponseFactory"/>,
    /// <see cref="NegotiateEndpoint"/> and <see cref="ISignalRServiceClient"/>. Under Entra ID the credential is
    /// <see cref="SignalRServiceCredential"/> (replace that registration to inject another) and the temporary key is
    /// fetched at start in the background.
    /// </summary>
    public static IServiceCollection AddSignalRTransport(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(_ => SignalRServiceOptions.FromConfiguration(configuration));
        services.AddHttpClient(HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(30));
        services.TryAddSingleton(sp => new SignalRServiceCredential(IdentityOf(sp).CreateCredential()));
        services.TryAddSingleton(_ => new EntraKeyOptions());
        services.TryAddSingleton(sp => new SignalREntraPipeline(SignalREntra.CreatePipeline(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
            sp.GetRequiredService<SignalRServiceCredential>().Credential)));
        services.TryAddSingleton<IClientTokenKeySource>(sp =>
        {
            var options = sp.GetRequiredService<SignalRServiceOptions>();
            return options.Identity is null
                ? new AccessKeyClientTokenKeySource(options.Connection.AccessKey!)
                : new EntraClientTokenKeySource(
                    sp.GetRequiredService<SignalREntraPipeline>().Pipeline,
                    options.Connection,
                    sp.GetRequiredService<EntraKeyOptions>(),
                    sp.GetRequiredService<TimeProvider>(),
                    sp.GetRequiredService<ILogger<EntraClientTokenKeySource>>());
        });
        services.AddSingleton(sp => new NegotiateResponseFactory(
            sp.GetRequiredService<SignalRServiceOptions>().Connection,
            sp.GetRequiredService<IClientTokenKeySource>(),
            null,
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<NegotiateEndpoint>();
        services.TryAddSingleton<ISignalRServiceClient>(sp =>
        {
            var options = sp.GetRequiredService<SignalRServiceOptions>();
            var retries = new SignalRRestClientOptions { RetryDelay = TimeSpan.FromMilliseconds(200) };
            var time = sp.GetRequiredService<TimeProvider>();
            return options.Identity is null
                ? new SignalRRestClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName), options.Connection, retries, time)
                : new SignalRRestClient(sp.GetRequiredService<SignalREntraPipeline>().Pipeline, options.Connection, retries, time);
        });
        services.AddHostedService<SignalRKeyWarmup>();
        return services;
    }

    private static SignalRIdentity IdentityOf(IServiceProvider services)
        => services.GetRequiredService<SignalRServiceOptions>().Identity
            ?? throw new InvalidOperationException("The SignalR service is reached with an access key; there is no Entra credential.");
}

/// <summary>The one Azure.Core pipeline (bearer policy over the named client) shared by REST calls and key fetches.</summary>
internal sealed class SignalREntraPipeline(Azure.Core.Pipeline.HttpPipeline pipeline)
{
    public Azure.Core.Pipeline.HttpPipeline Pipeline { get; } = pipeline;
}

/// <summary>Under Entra ID, starts fetching the service's temporary key at start, so the first negotiate rarely waits.</summary>
internal sealed class SignalRKeyWarmup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (services.GetRequiredService<IClientTokenKeySource>() is EntraClientTokenKeySource entra)
        {
            // Not awaited: start-up never waits on the service; a failure is logged and retried on demand.
            _ = entra.WarmUpAsync();
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
