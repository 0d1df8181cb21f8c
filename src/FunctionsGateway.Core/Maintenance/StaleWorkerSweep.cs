using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Runs;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Core.Maintenance;

/// <summary>
/// Worker rows whose connection is gone: its row was removed or closed, but the worker row stayed (a removal that was
/// interrupted half-way). Such a worker would be offered runs it can never start, so it goes as on a disconnect: its
/// running runs fail and runs only offered to it are offered again (<see cref="RunService.WorkerGoneAsync"/>).
/// Cost: one partition query for this pool's workers, and one point read of each worker's connection row. A worker is
/// registered only after its connection row is admitted, so a fresh worker is never taken for a stale one.
/// </summary>
public sealed partial class StaleWorkerSweep(IRunStore runs, IConnectionStore connections, RunService service, ILogger<StaleWorkerSweep> logger) : ISweepStep
{
    public string Name => "workers";

    public async Task<SweepStepResult> RunAsync(DateTimeOffset now, int budget, CancellationToken cancellationToken)
    {
        int examined = 0, removed = 0;
        foreach (var worker in await runs.ListWorkersAsync(cancellationToken))
        {
            if (removed >= budget)
            {
                break;
            }

            examined++;
            var connection = await connections.GetAsync(worker.ConnectionId, cancellationToken);
            if (connection is { State: not ConnectionState.Closed })
            {
                continue;
            }

            if (await service.WorkerGoneAsync(worker.ConnectionId, cancellationToken))
            {
                removed++;
                LogRemoved(logger, worker.ConnectionId, worker.DeviceId);
            }
        }

        return new SweepStepResult(examined, removed);
    }

    [LoggerMessage(EventId = 1162, Level = LogLevel.Debug, Message = "sweep: worker {ConnectionId} of device {DeviceId} had no live connection row and is removed")]
    private static partial void LogRemoved(ILogger logger, string connectionId, string deviceId);
}
