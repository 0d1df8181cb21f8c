using FunctionsGateway.Core.Admission;
using FunctionsGateway.Core.Connections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Core.Maintenance;

/// <summary>
/// Connection rows whose disconnect event never arrived (the host was killed, the event was lost). Only rows untouched
/// for the grace period are read at all (one filtered query), so a fresh connection costs nothing and is never swept.
/// Of those: a closed row, or a challenge that expired, goes without asking anyone; an admitted row goes only when the
/// service answers that it does not know the connection (<see cref="ConnectionPresence.Gone"/>), and it goes the way a
/// disconnect event removes it (<see cref="ConnectionLifecycle.RemoveStaleAsync"/>). An unanswered question keeps the
/// row. In-process (sub-agent) connections are not the service's to answer for, so their admitted rows are never asked about.
/// </summary>
public sealed partial class StaleConnectionSweep(
    IConnectionStore connections,
    IConnectionPresence presence,
    ConnectionLifecycle lifecycle,
    IOptions<SweepOptions> options,
    ILogger<StaleConnectionSweep> logger) : ISweepStep
{
    /// <summary>After this many unanswered questions in a row the service is taken to be down until the next run.</summary>
    internal const int MaxUnansweredInARow = 3;

    /// <summary>
    /// Where the last run stopped for its budget: the next one goes on from there, so live connections early in key order
    /// never keep later stale ones from being reached. Per process; a fresh process starts at the beginning.
    /// </summary>
    private string? resumeAfter;

    public string Name => "connections";

    public async Task<SweepStepResult> RunAsync(DateTimeOffset now, int budget, CancellationToken cancellationToken)
    {
        var writtenBefore = now - options.Value.GracePeriod;
        int examined = 0, removed = 0, asked = 0, unanswered = 0, unansweredInARow = 0;
        string? last = null;
        var stoppedEarly = false;
        await foreach (var row in connections.ListIdleAsync(writtenBefore, resumeAfter, cancellationToken))
        {
            if (removed >= budget || asked >= budget)
            {
                stoppedEarly = true;
                break;
            }

            examined++;
            last = row.ConnectionId;
            var stale = row.State switch
            {
                ConnectionState.Closed => true,
                ConnectionState.Challenged when row.NonceExpiresAt is not { } expires || expires <= now => true,
                ConnectionState.Admitted when row.IsInternal => false,
                _ when unansweredInARow >= MaxUnansweredInARow => false,
                _ => await AskAsync(row.ConnectionId),
            };

            if (stale && await lifecycle.RemoveStaleAsync(row, cancellationToken))
            {
                removed++;
                LogRemoved(logger, row.ConnectionId, row.State);
            }
        }

        resumeAfter = stoppedEarly ? last : null;
        if (unanswered > 0)
        {
            LogUnanswered(logger, unanswered, asked);
        }

        return new SweepStepResult(examined, removed);

        async Task<bool> AskAsync(string connectionId)
        {
            asked++;
            var answer = await presence.CheckAsync(connectionId, cancellationToken);
            if (answer == ConnectionPresence.Unknown)
            {
                unanswered++;
                unansweredInARow++;
                return false;
            }

            unansweredInARow = 0;
            return answer == ConnectionPresence.Gone;
        }
    }

    [LoggerMessage(EventId = 1160, Level = LogLevel.Debug, Message = "sweep: connection {ConnectionId} ({State}) was stale and is removed")]
    private static partial void LogRemoved(ILogger logger, string connectionId, ConnectionState state);

    [LoggerMessage(EventId = 1161, Level = LogLevel.Warning, Message = "sweep: the service left {Unanswered} of {Asked} connection checks unanswered; those rows are kept for the next sweep")]
    private static partial void LogUnanswered(ILogger logger, int unanswered, int asked);
}
