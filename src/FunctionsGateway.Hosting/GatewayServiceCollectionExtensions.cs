using FunctionsGateway.Core;
using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Events;
using FunctionsGateway.Core.Sessions;
using FunctionsGateway.SignalR.Serverless;
using FunctionsGateway.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace FunctionsGateway.Hosting;

public static class GatewayServiceCollectionExtensions
{
    /// <summary>
    /// Everything both hosts share: the core, its storage, the SignalR serverless transport, and telemetry
    /// (<see cref="GatewayTelemetryServiceCollectionExtensions.AddGatewayTelemetry"/>, with the host's <paramref name="telemetry"/>).
    /// </summary>
    public static IServiceCollection AddGateway(this IServiceCollection services, IConfiguration configuration, GatewayTelemetryOptions? telemetry = null)
    {
        services.AddGatewayTelemetry(configuration, telemetry);
        services.AddGatewayCore(configuration);
        services.AddGatewayStorage(configuration);
        services.AddSignalRTransport(configuration);
        services.Replace(ServiceDescriptor.Singleton<IGatewayNotifier, SignalRGatewayNotifier>());
        services.Replace(ServiceDescriptor.Singleton<ISessionSubscriptions, SignalRSessionSubscriptions>());
        services.AddSingleton<ConnectionCloseScheduler>();
        services.AddSingleton<UpstreamEndpoint>();
        services.AddSingleton<AdminPairingEndpoint>();
        services.AddSingleton<StorageCallGuard>();
        services.AddSingleton<AdminPairingApi>();
        services.AddSingleton<ConsoleEndpoint>();
        services.AddQueueHandler<CloseConnectionQueueHandler>();
        services.AddQueueHandler<SpawnSubagentQueueHandler>();
        services.AddQueueHandler<RunTimerQueueHandler>();

        // The sweep asks this gateway's service about connections it stamped as its own (its endpoint).
        services.Replace(ServiceDescriptor.Singleton<IConnectionPresence, SignalRConnectionPresence>());
        services.Replace(ServiceDescriptor.Singleton(sp => new ConnectionScope(
            sp.GetRequiredService<SignalRServiceOptions>().Connection.Endpoint.GetLeftPart(UriPartial.Authority))));
        services.AddSingleton(_ => SweepSchedule.FromConfiguration(configuration));
        services.AddSingleton<SweepTimerHandler>();
        services.AddHostedService<TransportStartup>();

        // The upstream's bearer path (Gateway__Upstream__*): how a keyless service's requests get in.
        services.AddUpstreamAuthentication(configuration);
        return services;
    }

    /// <summary>Registers a queue handler by its type (for its Function) and in the registry (for the local pump).</summary>
    public static IServiceCollection AddQueueHandler<T>(this IServiceCollection services) where T : class, IQueueHandler
    {
        services.AddSingleton<T>();
        services.AddSingleton<IQueueHandler>(sp => sp.GetRequiredService<T>());
        return services;
    }
}

/// <summary>Checks the SignalR setting and the sweep schedule at start, so a bad value fails before the first call.</summary>
internal sealed class TransportStartup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<SignalRServiceOptions>();
        _ = services.GetRequiredService<SweepSchedule>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
