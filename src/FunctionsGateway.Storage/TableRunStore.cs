using Azure;
using Azure.Data.Tables;
using FunctionsGateway.Core.Runs;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Storage;

/// <summary>
/// One partition per run (PartitionKey = runId, RowKey <c>run</c>), each change a conditional write of that row; and
/// the workers' partition (<c>~workers</c>, or <c>~workers:{pool}</c> for another pool; RowKey = connection id), so
/// listing workers is one partition query.
/// </summary>
internal sealed class TableRunStore(GatewayTables tables, IOptions<RunOptions> options) : IRunStore
{
    /// <summary>The default pool keeps the plain partition name; another pool gets its own partition.</summary>
    private readonly string workers = options.Value.WorkerPool == RunOptions.DefaultWorkerPool
        ? RunRows.WorkersPartition
        : RunRows.WorkersPartition + ":" + options.Value.WorkerPool;

    private TableClient Table => tables.Runs;

    public async Task<RunRecord?> GetAsync(string runId, CancellationToken cancellationToken)
        => IsRunId(runId) && await Table.FindAsync<TableEntity>(runId, RunRows.Run, cancellationToken) is { } e ? SessionRunMapping.ToRunRecord(e) : null;

    public async Task<bool> TryCreateAsync(RunRecord run, CancellationToken cancellationToken)
    {
        TableKeys.Require(run.RunId, nameof(run));
        try
        {
            var response = await Table.AddEntityAsync(SessionRunMapping.ToEntity(run), cancellationToken);
            run.Version = response.Headers.ETag?.ToString();
            return true;
        }
        catch (RequestFailedException ex) when (ex.IsConflict())
        {
            return false;
        }
    }

    public async Task<bool> TryReplaceAsync(RunRecord run, CancellationToken cancellationToken)
    {
        TableKeys.Require(run.RunId, nameof(run));
        var entity = SessionRunMapping.ToEntity(run);
        try
        {
            var response = await Table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken);
            run.Version = response.Headers.ETag?.ToString() ?? run.Version;
            return true;
        }
        catch (RequestFailedException ex) when (ex.IsConflict() || ex.Status == 404)
        {
            return false;
        }
    }

    public async Task<WorkerRecord?> GetWorkerAsync(string connectionId, CancellationToken cancellationToken)
        => TableKeys.IsValid(connectionId) && await Table.FindAsync<WorkerEntity>(workers, connectionId, cancellationToken) is { } e
            ? SessionRunMapping.ToRecord(e)
            : null;

    public async Task<IReadOnlyList<WorkerRecord>> ListWorkersAsync(CancellationToken cancellationToken)
    {
        var list = new List<WorkerRecord>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {workers}");
        await foreach (var row in Table.QueryAsync<WorkerEntity>(filter, cancellationToken: cancellationToken))
        {
            list.Add(SessionRunMapping.ToRecord(row));
        }

        return list;
    }

    public async Task<bool> TrySaveWorkerAsync(WorkerRecord worker, CancellationToken cancellationToken)
    {
        if (!TableKeys.IsValid(worker.ConnectionId))
        {
            throw new ArgumentException("not a usable connection id: " + worker.ConnectionId, nameof(worker));
        }

        var entity = SessionRunMapping.ToEntity(worker, workers);
        try
        {
            var response = worker.Version is null
                ? await Table.AddEntityAsync(entity, cancellationToken)
                : await Table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken);
            worker.Version = response.Headers.ETag?.ToString() ?? worker.Version;
            return true;
        }
        catch (RequestFailedException ex) when (ex.IsConflict() || ex.Status == 404)
        {
            return false;
        }
    }

    public async Task<bool> DeleteWorkerAsync(string connectionId, CancellationToken cancellationToken)
    {
        if (!TableKeys.IsValid(connectionId))
        {
            return false;
        }

        try
        {
            // The SDK answers a delete of a missing entity with its 404 response instead of throwing.
            var response = await Table.DeleteEntityAsync(workers, connectionId, ETag.All, cancellationToken);
            return response.Status != 404;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return false;
        }
    }

    /// <summary>A key a run can have been stored under: a worker may name any string (up to 64 characters) as a run id.</summary>
    private static bool IsRunId(string? runId) => TableKeys.IsValid(runId) && !runId!.StartsWith('~');
}
