using Azure.Core;
using Azure.Core.Pipeline;

namespace FunctionsGateway.Storage;

/// <summary>
/// Counts the table and queue operations this process asks for: one per call, outside the retries, as the storage
/// cost tests count them. Off unless a host registers one (the local host's <c>LocalHost:CountStorage</c>), so the
/// load tool can put a storage cost beside every rate it reports.
/// </summary>
public sealed class StorageOperationCount
{
    private long tables;
    private long queues;

    public StorageOperationCount()
    {
        TablePolicy = new Counter(this, table: true);
        QueuePolicy = new Counter(this, table: false);
    }

    public long Tables => Interlocked.Read(ref tables);

    public long Queues => Interlocked.Read(ref queues);

    internal HttpPipelinePolicy TablePolicy { get; }

    internal HttpPipelinePolicy QueuePolicy { get; }

    private sealed class Counter(StorageOperationCount owner, bool table) : HttpPipelinePolicy
    {
        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Add();
            ProcessNext(message, pipeline);
        }

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Add();
            return ProcessNextAsync(message, pipeline);
        }

        private void Add()
        {
            if (table)
            {
                Interlocked.Increment(ref owner.tables);
            }
            else
            {
                Interlocked.Increment(ref owner.queues);
            }
        }
    }
}
