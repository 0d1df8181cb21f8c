using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;
using FunctionsGateway.Storage;

namespace FunctionsGateway.IntegrationTests.Storage;

/// <summary>The stores straight over Azurite, without a host; every test works on keys of its own.</summary>
internal static class StorageAccount
{
    public static async Task<GatewayTables> TablesAsync(StorageRequestCounter? requests = null)
    {
        var options = new TableClientOptions();
        if (requests is not null)
        {
            options.AddPolicy(requests, HttpPipelinePosition.PerCall);
        }

        var tables = new GatewayTables(new TableServiceClient(Azurite.ConnectionString, options));
        await tables.EnsureCreatedAsync();
        return tables;
    }

    /// <summary>Base64 messages, as the host's queue client sends them.</summary>
    public static QueueServiceClient QueueService() => new StorageOptions { ConnectionString = Azurite.ConnectionString }.CreateQueueServiceClient();

    /// <summary>A main session key no other test uses.</summary>
    public static string NewMainKey() => SessionKeys.Main(NewAgentId());

    public static string NewAgentId() => "t" + Guid.NewGuid().ToString("N");

    public static string NewRunId() => Guid.NewGuid().ToString("N");
}

/// <summary>A queue of one test's own, so what it peeks is only what it sent; deleted afterwards.</summary>
internal sealed class PrivateQueue : IAsyncDisposable
{
    private readonly QueueServiceClient service = StorageAccount.QueueService();

    private PrivateQueue() => Queues = new GatewayQueues(service);

    public string Name { get; } = "test-" + Guid.NewGuid().ToString("N");

    public GatewayQueues Queues { get; }

    public static async Task<PrivateQueue> CreateAsync()
    {
        var queue = new PrivateQueue();
        await queue.service.GetQueueClient(queue.Name).CreateIfNotExistsAsync();
        return queue;
    }

    public async ValueTask DisposeAsync() => await service.GetQueueClient(Name).DeleteIfExistsAsync();
}
