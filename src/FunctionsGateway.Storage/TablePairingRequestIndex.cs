using Azure.Data.Tables;
using FunctionsGateway.Core.Pairing;

namespace FunctionsGateway.Storage;

/// <summary>Pending requests by id: PartitionKey "pending", RowKey = requestId; lists are one partition query.</summary>
internal sealed class TablePairingRequestIndex(GatewayTables tables) : IPairingRequestIndex
{
    public async Task AddAsync(PendingRequestRecord request, CancellationToken cancellationToken)
        => await tables.PairingRequests.AddEntityAsync(EntityMapping.ToIndexEntity(request), cancellationToken);

    public async Task<PendingRequestRecord?> FindAsync(string requestId, CancellationToken cancellationToken)
        => await tables.PairingRequests.FindAsync<PendingIndexEntity>(PendingIndexEntity.Partition, requestId, cancellationToken) is { } e
            ? EntityMapping.ToRecord(e)
            : null;

    public async Task DeleteAsync(string requestId, CancellationToken cancellationToken)
        => await tables.PairingRequests.DeleteIfExistsAsync(PendingIndexEntity.Partition, requestId, cancellationToken);

    public async Task<IReadOnlyList<PendingRequestRecord>> ListAsync(CancellationToken cancellationToken)
    {
        var list = new List<PendingRequestRecord>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {PendingIndexEntity.Partition}");
        await foreach (var row in tables.PairingRequests.QueryAsync<PendingIndexEntity>(filter, cancellationToken: cancellationToken))
        {
            list.Add(EntityMapping.ToRecord(row));
        }

        return list;
    }
}
