using Azure.Storage.Queues;
using FunctionsGateway.Core.Events;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Core.SignalR;
using FunctionsGateway.Core.Storage;
using FunctionsGateway.Core.Transport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace FunctionsGateway.Core;

public static class GatewayServiceCollectionExtensions
{
    /// <summary>Everything both hosts share: the security core plus the SignalR serverless transport.</summary>
    public static IServiceCollection AddGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddGatewayCore(configuration);
        services.AddSingleton(_ => SignalRServiceOptions.FromConfiguration(configuration));
        services.AddSingleton(sp => new NegotiateResponseFactory(sp.GetRequiredService<SignalRServiceOptions>().Connection, null, sp.GetRequiredService<TimeProvider>()));
        services.AddHttpClient(nameof(SignalRRestClient), client => client.Timeout = TimeSpan.FromSeconds(30));
        services.TryAddSingleton<ISignalRServiceClient>(sp => new SignalRRestClient(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(SignalRRestClient)),
            sp.GetRequiredService<SignalRServiceOptions>().Connection,
            new SignalRRestClientOptions { RetryDelay = TimeSpan.FromMilliseconds(200) },
            sp.GetRequiredService<TimeProvider>()));
        services.Replace(ServiceDescriptor.Singleton<IGatewayNotifier, SignalRGatewayNotifier>());
        services.AddSingleton(sp => sp.GetRequiredService<StorageOptions>().CreateQueueServiceClient());
        services.AddSingleton<ConnectionCloseScheduler>();
        services.AddSingleton<CloseConnectionHandler>();
        services.AddSingleton<ConnectionLifecycle>();
        services.AddSingleton<UpstreamHandler>();
        services.AddSingleton<NegotiateHandler>();
        services.AddSingleton<AdminPairingHandler>();
        services.AddHostedService<QueueStartup>();
        return services;
    }
}

/// <summary>Creates the queues and checks the SignalR setting at start, so a bad value fails before the first call.</summary>
internal sealed class QueueStartup(IServiceProvider services) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<SignalRServiceOptions>();
        var queues = services.GetRequiredService<QueueServiceClient>();
        foreach (var name in StorageNames.AllQueues)
        {
            await queues.GetQueueClient(name).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await queues.GetQueueClient(name + "-poison").CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
