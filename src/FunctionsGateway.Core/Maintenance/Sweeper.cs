using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Core.Maintenance;

/// <summary>How one step of a sweep went; <see cref="Failure"/> says why it did not finish.</summary>
public sealed record SweepStepOutcome(string Name, int Examined, int Removed, string? Failure = null);

/// <summary>What one sweep did, step by step.</summary>
public sealed record SweepReport(IReadOnlyList<SweepStepOutcome> Steps)
{
    public int Removed => Steps.Sum(s => s.Removed);

    public int Failed => Steps.Count(s => s.Failure is not null);

    public SweepStepOutcome this[string name] => Steps.Single(s => s.Name == name);
}

/// <summary>
/// Removes leftover state: runs every registered <see cref="ISweepStep"/> in registration order, each with the
/// <see cref="SweepOptions.Budget"/> and at most <see cref="SweepOptions.StepTimeout"/>, so a step that fails or stalls
/// (storage down) is logged as a Warning and the others still run. No lock is taken: every step is idempotent (each
/// removal is conditional or harmless to repeat), so two hosts sweeping at once only share the work.
/// </summary>
public sealed partial class Sweeper(IEnumerable<ISweepStep> steps, IOptions<SweepOptions> options, TimeProvider time, ILogger<Sweeper> logger)
{
    public async Task<SweepReport> RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            LogDisabled(logger);
            return new SweepReport([]);
        }

        var now = time.GetUtcNow();
        var outcomes = new List<SweepStepOutcome>();
        foreach (var step in steps)
        {
            outcomes.Add(await RunStepAsync(step, now, settings, cancellationToken));
        }

        var report = new SweepReport(outcomes);
        var summary = string.Join(", ", outcomes.Select(o => $"{o.Name} {o.Removed}/{o.Examined}" + (o.Failure is null ? string.Empty : " (failed)")));
        if (report.Removed > 0 || report.Failed > 0)
        {
            LogSummary(logger, report.Removed, report.Failed, summary);
        }
        else
        {
            LogNothing(logger, summary);
        }

        return report;
    }

    private async Task<SweepStepOutcome> RunStepAsync(ISweepStep step, DateTimeOffset now, SweepOptions settings, CancellationToken cancellationToken)
    {
        using var limit = new CancellationTokenSource(settings.StepTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token);
        try
        {
            var result = await step.RunAsync(now, settings.Budget, linked.Token);
            return new SweepStepOutcome(step.Name, result.Examined, result.Removed);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host is stopping: not a failure of the step.
            throw;
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested)
        {
            LogStepTimedOut(logger, step.Name, settings.StepTimeout);
            return new SweepStepOutcome(step.Name, 0, 0, $"did not finish within {settings.StepTimeout}");
        }
        catch (Exception ex)
        {
            // Storage stalls and service faults are expected now and then: the next sweep picks up where this one failed.
            LogStepFailed(logger, ex, step.Name);
            return new SweepStepOutcome(step.Name, 0, 0, ex.GetType().Name + ": " + ex.Message);
        }
    }

    [LoggerMessage(EventId = 1163, Level = LogLevel.Information, Message = "sweep removed {Removed} stale rows, {Failed} steps failed (removed/examined: {Summary})")]
    private static partial void LogSummary(ILogger logger, int removed, int failed, string summary);

    [LoggerMessage(EventId = 1164, Level = LogLevel.Debug, Message = "sweep found nothing stale (removed/examined: {Summary})")]
    private static partial void LogNothing(ILogger logger, string summary);

    [LoggerMessage(EventId = 1165, Level = LogLevel.Warning, Message = "sweep step {Step} failed; the next sweep tries again")]
    private static partial void LogStepFailed(ILogger logger, Exception exception, string step);

    [LoggerMessage(EventId = 1166, Level = LogLevel.Warning, Message = "sweep step {Step} did not finish within {Timeout} (storage stalled?); the next sweep tries again")]
    private static partial void LogStepTimedOut(ILogger logger, string step, TimeSpan timeout);

    [LoggerMessage(EventId = 1167, Level = LogLevel.Debug, Message = "sweep is disabled (Gateway__Sweep__Enabled)")]
    private static partial void LogDisabled(ILogger logger);
}
