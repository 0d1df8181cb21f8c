using FunctionsGateway.Core.Admission;
using FunctionsGateway.Core.Audit;
using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Dispatch;
using FunctionsGateway.Core.Events;
using FunctionsGateway.Core.Methods;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Core.Pairing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Core;

public static class GatewayCoreServiceCollectionExtensions
{
    /// <summary>
    /// The gateway's decisions: options, admission, pairing, audit, the dispatcher and the method handlers. Storage
    /// (the stores these take) is registered separately.
    /// </summary>
    public static IServiceCollection AddGatewayCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IGatewayNotifier, NullGatewayNotifier>();
        services.AddOptions<GatewayOptions>().Bind(configuration.GetSection(SettingNames.GatewaySection)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>());
        services.AddSingleton<AuditLog>();
        services.AddSingleton<ConnectionCloser>();
        services.AddSingleton<DeviceDirectory>();
        services.AddSingleton<PairingRequests>();
        services.AddSingleton<PairingDecisions>();
        services.AddSingleton<DeviceTokenService>();
        services.AddSingleton<DeviceRemoval>();
        services.AddSingleton<AdmissionService>();
        services.AddSingleton<GatewayDispatcher>();
        services.AddSingleton<IMethodHandler, StatusMethodHandler>();
        services.AddSingleton<IMethodHandler, PairingMethodHandler>();
        services.AddSingleton<IMethodHandler, AuditMethodHandler>();
        return services;
    }
}
