using Cronos;
using FunctionsGateway.Core.Maintenance;
using FunctionsGateway.Core.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Hosting;

/// <summary>
/// When the sweep runs: the <see cref="SettingNames.SweepSchedule"/> setting, a six-field cron expression (second minute
/// hour day month day-of-week, UTC) as the Functions timer trigger reads it; every five minutes when unset.
/// </summary>
public sealed class SweepSchedule
{
    public const string Default = "0 */5 * * * *";

    private readonly CronExpression cron;

    private SweepSchedule(string expression, CronExpression cron)
    {
        Expression = expression;
        this.cron = cron;
    }

    public string Expression { get; }

    public static SweepSchedule FromConfiguration(IConfiguration configuration)
    {
        var raw = configuration[SettingNames.SweepSchedule];
        var expression = string.IsNullOrWhiteSpace(raw) ? Default : raw.Trim();
        try
        {
            return new SweepSchedule(expression, CronExpression.Parse(expression, CronFormat.IncludeSeconds));
        }
        catch (CronFormatException)
        {
            throw new GatewayConfigurationException(SettingNames.SweepSchedule,
                "is not a six-field cron expression (second minute hour day month day-of-week), e.g. '" + Default + "'.");
        }
    }

    /// <summary>The first time after <paramref name="from"/> the schedule names (UTC), or null if it names none.</summary>
    public DateTimeOffset? Next(DateTimeOffset from) => cron.GetNextOccurrence(from, TimeZoneInfo.Utc);
}

/// <summary>What the timer runs on either host: one sweep (the Function's <c>TimerTrigger</c>, or the local host's loop).</summary>
public sealed partial class SweepTimerHandler(Sweeper sweeper, ILogger<SweepTimerHandler> logger)
{
    public Task<SweepReport> RunAsync(bool pastDue, CancellationToken cancellationToken)
    {
        if (pastDue)
        {
            LogPastDue(logger);
        }

        return sweeper.RunAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 1169, Level = LogLevel.Debug, Message = "the sweep timer fired late (past due); sweeping now")]
    private static partial void LogPastDue(ILogger logger);
}
