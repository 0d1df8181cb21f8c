using Azure.Data.Tables;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Storage;

namespace FunctionsGateway.IntegrationTests.Storage;

/// <summary>The storage operation counter the local host exposes for the load tool: one per call, by service.</summary>
public sealed class StorageOperationCountTests
{
    [Fact]
    public async Task A_point_read_and_a_batch_count_one_table_operation_each_and_no_queue_operation()
    {
        var count = new StorageOperationCount();
        var options = new StorageOptions { ConnectionString = Azurite.ConnectionString };
        var table = options.CreateTableServiceClient(count: count).GetTableClient(StorageNames.DevicesTable);
        await table.CreateIfNotExistsAsync();
        var partition = "count-" + Guid.NewGuid().ToString("N");
        var before = count.Tables;

        await table.GetEntityIfExistsAsync<TableEntity>(partition, "missing");
        Assert.Equal(before + 1, count.Tables);

        await table.SubmitTransactionAsync(
        [
            new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity(partition, "a")),
            new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity(partition, "b")),
        ]);
        Assert.Equal(before + 2, count.Tables);
        Assert.Equal(0, count.Queues);
    }

    [Fact]
    public async Task A_queue_send_counts_one_queue_operation_and_no_table_operation()
    {
        var count = new StorageOperationCount();
        var queues = new StorageOptions { ConnectionString = Azurite.ConnectionString }.CreateQueueServiceClient(count: count);
        var queue = queues.GetQueueClient("count-" + Guid.NewGuid().ToString("N")[..20]);
        await queue.CreateAsync();
        try
        {
            var before = count.Queues;
            await queue.SendMessageAsync("one");
            Assert.Equal(before + 1, count.Queues);
            Assert.Equal(0, count.Tables);
        }
        finally
        {
            await queue.DeleteIfExistsAsync();
        }
    }
}
