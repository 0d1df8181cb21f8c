using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.SubAgents;

/// <summary>What one spawn costs in table operations, counted on the wire to Azurite (the figure in docs/benchmarks.md).</summary>
public sealed class SpawnCostTests
{
    [Fact]
    public async Task A_spawn_from_accept_to_the_workers_offer_costs_a_fixed_number_of_table_operations()
    {
        await using var rig = await SpawnRig.StartAsync();
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var worker = await rig.WorkerAsync(requester);
        await rig.SpawnAsync(op, new { sessionKey = requester, task = "warm-up" });
        await rig.DeliverSpawnsAsync();

        rig.Gateway.StorageRequests.Clear();
        await rig.SpawnAsync(op, new { sessionKey = requester, task = "measured" });
        var accept = rig.Gateway.StorageRequests.Requests.ToList();
        rig.Gateway.StorageRequests.Clear();
        await rig.DeliverSpawnsAsync();
        var start = rig.Gateway.StorageRequests.Requests.ToList();

        var report = string.Join('\n', accept.Concat(start).Select(r => $"{r.Method} {r.Path}"));
        Assert.True(rig.OffersTo(worker).Count == 2, report);
        Assert.DoesNotContain(accept.Concat(start), r => r.Path.Contains("$filter", StringComparison.Ordinal)
            && !r.Path.Contains("~workers", StringComparison.Ordinal) && !r.Path.Contains("PartitionKey eq", StringComparison.Ordinal));

        // sessions.spawn: the connection row, the requester session, the reservation batch.
        Assert.True(accept.Count == 3, "sessions.spawn:\n" + string.Join('\n', accept.Select(r => $"{r.Method} {r.Path}")));
        Assert.True(start.Count == SpawnStartOperations, "spawn function:\n" + string.Join('\n', start.Select(r => $"{r.Method} {r.Path}")));
    }

    /// <summary>
    /// The spawn function's table operations for one spawn, in docs/benchmarks.md: the reservation and run checks and
    /// registering the identity (4); the first, silent admission at operator.admin (10: the device partition read, the
    /// connection row spending the nonce, the pairing batch, its audit and directory rows and a re-check 3, deleting the
    /// decision record the batch wrote once those follow-ups ran 1, the partition read again, admit and the admission
    /// batch 3); sessions.patch (4); the admission at operator.write (3: read, admit, batch); agent (3); the offer to the
    /// worker (4); the duplicate-delivery check (1). The challenges cost nothing (docs/decisions/0011-stateless-challenge.md).
    /// </summary>
    public const int SpawnStartOperations = 29;
}
