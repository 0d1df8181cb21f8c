using FunctionsGateway.Core.Audit;
using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Pairing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace FunctionsGateway.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>The stores behind the core's interfaces, on the account <c>AzureWebJobsStorage</c> names.</summary>
    public static IServiceCollection AddGatewayStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(_ => StorageOptions.FromConfiguration(configuration));
        services.TryAddSingleton(sp => new GatewayTables(sp.GetRequiredService<StorageOptions>().CreateTableServiceClient()));
        services.TryAddSingleton(sp => new GatewayQueues(sp.GetRequiredService<StorageOptions>().CreateQueueServiceClient()));
        services.TryAddSingleton<IDeviceStore, TableDeviceStore>();
        services.TryAddSingleton<IPairingRequestIndex, TablePairingRequestIndex>();
        services.TryAddSingleton<IConnectionStore, TableConnectionStore>();
        services.TryAddSingleton<IAuditStore, TableAuditStore>();
        services.AddHostedService<StorageStartup>();
        return services;
    }
}

/// <summary>Creates the tables and queues before the first request, so a storage problem fails at start.</summary>
internal sealed class StorageStartup(GatewayTables tables, GatewayQueues queues) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await tables.EnsureCreatedAsync(cancellationToken);
        await queues.EnsureCreatedAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
