using FunctionsGateway.Core.Admission;
using FunctionsGateway.Core.Audit;
using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Dispatch;
using FunctionsGateway.Core.Events;
using FunctionsGateway.Core.Maintenance;
using FunctionsGateway.Core.Methods;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Core.Resilience;
using FunctionsGateway.Core.Runs;
using FunctionsGateway.Core.Sessions;
using FunctionsGateway.Core.SubAgents;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Core;

public static class GatewayCoreServiceCollectionExtensions
{
    /// <summary>
    /// The gateway's decisions: options, admission, pairing, audit, sessions, runs, sub-agents, the dispatcher and the
    /// method handlers. Storage (the stores and queues these take) is registered separately.
    /// </summary>
    public static IServiceCollection AddGatewayCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IGatewayNotifier, NullGatewayNotifier>();
        services.AddOptions<GatewayOptions>().Bind(configuration.GetSection(SettingNames.GatewaySection)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>());
        services.AddOptions<RunOptions>().Bind(configuration.GetSection(RunOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RunOptions>, RunOptionsValidator>());
        services.AddOptions<SubAgentOptions>().Bind(configuration.GetSection(SubAgentOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SubAgentOptions>, SubAgentOptionsValidator>());
        services.AddOptions<StorageDeadlineOptions>().Bind(configuration.GetSection(StorageDeadlineOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageDeadlineOptions>, StorageDeadlineOptionsValidator>());
        services.TryAddSingleton<CallDeadlines>();
        services.AddOptions<PairingLimits>().Bind(configuration.GetSection(PairingLimits.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PairingLimits>, PairingLimitsValidator>());
        services.TryAddSingleton<ISessionSubscriptions, NullSessionSubscriptions>();
        services.TryAddSingleton<ISubAgentScopePolicy, SubAgentScopePolicy>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<ConnectionCloser>();
        services.AddSingleton<DeviceDirectory>();
        services.AddSingleton<PendingLimits>();
        services.AddSingleton<DecisionFollowUps>();
        services.AddSingleton<PairingRequests>();
        services.AddSingleton<PairingPaging>();
        services.AddSingleton<ISweepStep, PairingSweepStep>();
        services.AddSingleton<PairingDecisions>();
        services.AddSingleton<DeviceTokenService>();
        services.AddSingleton<DeviceRemoval>();
        services.AddSingleton<AdmissionService>();
        services.AddSingleton<ConnectionLifecycle>();
        services.AddSingleton<GatewayDispatcher>();
        services.AddSingleton<SessionAccess>();
        services.AddSingleton<SessionService>();
        services.AddSingleton<ChatLog>();
        services.AddSingleton<WorkerOffers>();
        services.AddSingleton<RunService>();
        services.AddSingleton<IRunStatusLookup, RunStatusLookup>();
        services.AddSingleton<IConnectionObserver, WorkerConnections>();
        services.AddSingleton<SubAgentSpawner>();
        services.AddSingleton<SubAgentCompletion>();
        services.AddSingleton<IMethodHandler, StatusMethodHandler>();
        services.AddSingleton<IMethodHandler, PairingMethodHandler>();
        services.AddSingleton<IMethodHandler, AuditMethodHandler>();
        services.AddSingleton<IMethodHandler, SessionMethodHandler>();
        services.AddSingleton<IMethodHandler, RunMethodHandler>();
        services.AddSingleton<IMethodHandler, WorkerMethodHandler>();
        services.AddSingleton<IMethodHandler, SpawnMethodHandler>();
        services.AddGatewaySweep(configuration);
        return services;
    }

    /// <summary>The periodic sweep and its steps (connections, then workers); a host adds the service to ask and its scope.</summary>
    private static void AddGatewaySweep(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SweepOptions>().Bind(configuration.GetSection(SweepOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SweepOptions>, SweepOptionsValidator>());
        services.TryAddSingleton<IConnectionPresence, UnknownConnectionPresence>();
        services.TryAddSingleton(ConnectionScope.None);
        services.AddSingleton<Sweeper>();
        services.AddSingleton<ISweepStep, StaleConnectionSweep>();
        services.AddSingleton<ISweepStep, StaleWorkerSweep>();
    }
}
