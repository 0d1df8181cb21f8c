using FunctionsGateway.Core.Dispatch;
using FunctionsGateway.Core.Dispatch.Handlers;
using FunctionsGateway.Core.Events;
using FunctionsGateway.Core.Handshake;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace FunctionsGateway.Core;

public static class GatewayCoreServiceCollectionExtensions
{
    /// <summary>The security core: options, storage, handshake, pairing, dispatcher and its handlers.</summary>
    public static IServiceCollection AddGatewayCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IGatewayNotifier, NullGatewayNotifier>();
        services.AddSingleton(_ =>
        {
            var options = new GatewayOptions();
            configuration.GetSection(SettingNames.GatewaySection).Bind(options);
            options.Validate();
            return options;
        });
        services.AddSingleton(_ => StorageOptions.FromConfiguration(configuration));
        services.AddSingleton(sp => new GatewayTables(sp.GetRequiredService<StorageOptions>().CreateTableServiceClient()));
        services.AddSingleton<AuditLog>();
        services.AddSingleton<DeviceStore>();
        services.AddSingleton<ConnectionStore>();
        services.AddSingleton<PairingService>();
        services.AddSingleton<HandshakeService>();
        services.AddSingleton<GatewayDispatcher>();
        services.AddSingleton<IGatewayMethodHandler, StatusHandler>();
        services.AddSingleton<IGatewayMethodHandler, PairingHandler>();
        services.AddSingleton<IGatewayMethodHandler, AuditHandler>();
        services.AddHostedService<GatewayStartup>();
        return services;
    }
}

/// <summary>Validates settings and creates the tables before the first request, so misconfiguration fails at start.</summary>
internal sealed class GatewayStartup(IServiceProvider services) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<GatewayOptions>();
        await services.GetRequiredService<GatewayTables>().EnsureCreatedAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
