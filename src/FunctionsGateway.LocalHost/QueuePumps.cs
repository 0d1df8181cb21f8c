using FunctionsGateway.Hosting;
using FunctionsGateway.Storage;

namespace FunctionsGateway.LocalHost;

/// <summary>Runs one <see cref="QueuePump"/> for every registered <see cref="IQueueHandler"/>, as the Functions host runs each queue trigger.</summary>
internal sealed class QueuePumps(IEnumerable<IQueueHandler> handlers, GatewayQueues queues, IConfiguration configuration, ILoggerFactory loggers) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retryAfter = TimeSpan.FromSeconds(Math.Max(1, configuration.GetValue("LocalHost:QueueRetrySeconds", 5)));
        return Task.WhenAll(handlers.Select(h => new QueuePump(queues, h, retryAfter, loggers.CreateLogger<QueuePump>()).RunAsync(stoppingToken)));
    }
}
