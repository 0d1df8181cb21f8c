using FunctionsGateway.Core.Runs;
using Xunit.Abstractions;

namespace FunctionsGateway.IntegrationTests.Maintenance;

/// <summary>
/// What a sweep costs, counted on the wire: table requests to Azurite and questions to the service. A fresh row costs
/// nothing but its share of one filtered query; an idle live one costs one question; a stale one a question and two deletes.
/// </summary>
public sealed class SweepCostTests(ITestOutputHelper output)
{
    private const int K = 20;
    private const int Workers = 3;

    [Fact]
    public async Task A_sweep_costs_one_query_per_table_and_fresh_rows_cost_no_question_to_the_service()
    {
        await using var rig = await SweepRig.StartAsync();
        var rows = new List<string>();
        for (var i = 0; i < K; i++)
        {
            // Unknown to the service: were a fresh row asked about, it would go.
            rows.Add(await rig.AdmittedRowAsync(live: false));
        }

        for (var i = 0; i < Workers; i++)
        {
            var connection = await rig.AdmittedRowAsync(live: true);
            Assert.True(await rig.Runs.TrySaveWorkerAsync(new WorkerRecord { ConnectionId = connection, DeviceId = "dev" }, CancellationToken.None));
        }

        var fresh = await MeasureAsync(rig, "fresh rows");
        Assert.Equal(new Cost(Queries: 2, PointReads: Workers, Deletes: 0, Questions: 0, Removed: 0), fresh);

        foreach (var id in rows)
        {
            rig.Presence.Live[id] = true;
        }

        rig.PassGracePeriod();
        var idleLive = await MeasureAsync(rig, "idle live rows");
        Assert.Equal(new Cost(2, Workers, 0, K + Workers, 0), idleLive);

        foreach (var id in rows)
        {
            rig.Lose(id);
        }

        // A stale operator row: the device's index entry and the row itself (conditional), no reads.
        var stale = await MeasureAsync(rig, "idle stale rows");
        Assert.Equal(new Cost(2, Workers, 2 * K, K + Workers, K), stale);

        var after = await MeasureAsync(rig, "after the removal");
        Assert.Equal(new Cost(2, Workers, 0, Workers, 0), after);
    }

    private async Task<Cost> MeasureAsync(SweepRig rig, string what)
    {
        rig.Gateway.StorageRequests.Clear();
        rig.Presence.Asked.Clear();
        var report = await rig.SweepAsync();
        Assert.Equal(0, report.Failed);
        var requests = rig.Gateway.StorageRequests.Requests.ToList();
        var cost = new Cost(
            Queries: requests.Count(r => r.Method == "GET" && r.Path.Contains("()", StringComparison.Ordinal)),
            PointReads: requests.Count(r => r.Method == "GET" && r.Path.Contains("(PartitionKey=", StringComparison.Ordinal)),
            Deletes: requests.Count(r => r.Method == "DELETE"),
            Questions: rig.Presence.Asked.Count,
            Removed: report.Removed);
        Assert.Equal(requests.Count, cost.Queries + cost.PointReads + cost.Deletes);
        output.WriteLine($"{what} ({K} connection rows, {Workers} workers): {cost}");
        return cost;
    }

    private readonly record struct Cost(int Queries, int PointReads, int Deletes, int Questions, int Removed);
}
