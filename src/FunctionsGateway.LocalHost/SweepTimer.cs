using FunctionsGateway.Hosting;

namespace FunctionsGateway.LocalHost;

/// <summary>
/// The Function App's timer trigger, locally: runs the same <see cref="SweepTimerHandler"/> at each time the
/// <c>GatewaySweepSchedule</c> names, until the host stops. A sweep that overruns the next time skips it (as the
/// Functions timer does), and a failed sweep never ends the loop.
/// </summary>
internal sealed partial class SweepTimer(SweepTimerHandler handler, SweepSchedule schedule, TimeProvider time, ILogger<SweepTimer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogScheduled(logger, schedule.Expression);
        while (schedule.Next(time.GetUtcNow()) is { } next)
        {
            try
            {
                var wait = next - time.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, stoppingToken);
                }

                await handler.RunAsync(pastDue: false, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogSweepFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(EventId = 1170, Level = LogLevel.Debug, Message = "sweeping on schedule '{Schedule}' (UTC)")]
    private static partial void LogScheduled(ILogger logger, string schedule);

    [LoggerMessage(EventId = 1171, Level = LogLevel.Warning, Message = "a sweep failed; the next one runs on schedule")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
