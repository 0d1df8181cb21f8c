using FunctionsGateway.Core.Audit;
using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Core.Resilience;
using FunctionsGateway.Core.Runs;
using FunctionsGateway.Core.Sessions;
using FunctionsGateway.Core.SubAgents;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// The stores behind the core's interfaces, on the account <c>AzureWebJobsStorage</c> names; every request bounded by
    /// <c>Gateway__Storage__Deadline</c> (bound and validated by the core).
    /// </summary>
    public static IServiceCollection AddGatewayStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(_ => NamingTheSetting(() => StorageOptions.FromConfiguration(configuration)));
        services.AddOptions<StorageDeadlineOptions>();
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<StorageOptions>();
            var deadline = sp.GetRequiredService<IOptions<StorageDeadlineOptions>>().Value.Deadline;
            return new GatewayTables(NamingTheSetting(() => options.CreateTableServiceClient(deadline, sp.GetService<StorageOperationCount>())));
        });
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<StorageOptions>();
            var deadline = sp.GetRequiredService<IOptions<StorageDeadlineOptions>>().Value.Deadline;
            return new GatewayQueues(NamingTheSetting(() => options.CreateQueueServiceClient(deadline, sp.GetService<StorageOperationCount>())));
        });
        services.TryAddSingleton<IDeviceStore, TableDeviceStore>();
        services.TryAddSingleton<IPairingRequestIndex, TablePairingRequestIndex>();
        services.TryAddSingleton<IPendingLedger, TablePendingLedger>();
        services.TryAddSingleton<IConnectionStore, TableConnectionStore>();
        services.TryAddSingleton<IAuditStore, TableAuditStore>();
        services.TryAddSingleton<ISessionStore, TableSessionStore>();
        services.AddOptions<RunOptions>(); // the worker pool; bound and validated by the core
        services.TryAddSingleton<IRunStore, TableRunStore>();
        services.TryAddSingleton<ISpawnQueue, SpawnQueue>();
        services.TryAddSingleton<IRunTimers, RunTimerQueue>();
        services.AddHostedService<StorageStartup>();
        return services;
    }

    /// <summary>
    /// A malformed connection string or service URI fails as the setting, not as the parser's exception (whose message
    /// may quote the value, and does not say which setting it came from).
    /// </summary>
    private static T NamingTheSetting<T>(Func<T> create)
    {
        try
        {
            return create();
        }
        catch (Exception e) when (e is (FormatException or ArgumentException or InvalidOperationException) and not GatewayConfigurationException)
        {
            throw new GatewayConfigurationException(SettingNames.Storage,
                "is malformed: expected a storage connection string (UseDevelopmentStorage=true for Azurite) or, for a managed identity, a valid AzureWebJobsStorage__accountName (or __tableServiceUri and __queueServiceUri).");
        }
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
