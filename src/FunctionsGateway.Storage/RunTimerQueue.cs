using System.Text.Json;
using FunctionsGateway.Core.Runs;

namespace FunctionsGateway.Storage;

/// <summary>
/// Run timers on <see cref="StorageNames.RunsQueue"/>: <c>{"runId", "kind", "attempt"}</c> JSON, kept invisible until
/// its delay has passed. The queue service holds a message back at most just under 7 days: a longer delay is cut to
/// that (the timer then fires early, which its handler must check against the run anyway, as timers come late or twice).
/// </summary>
public sealed class RunTimerQueue : IRunTimers
{
    /// <summary>The longest visibility delay the queue service accepts (less than its 7-day message lifetime).</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromDays(7) - TimeSpan.FromSeconds(1);

    private const string What = "run timer";

    private readonly GatewayQueues queues;
    private readonly string queueName;

    public RunTimerQueue(GatewayQueues queues)
        : this(queues, StorageNames.RunsQueue)
    {
    }

    /// <summary>On another queue (tests).</summary>
    internal RunTimerQueue(GatewayQueues queues, string queueName)
    {
        this.queues = queues;
        this.queueName = queueName;
    }

    public Task ScheduleAsync(RunTimer timer, TimeSpan delay, CancellationToken cancellationToken)
        => queues.SendAsync(queueName, Serialize(timer), Clamp(delay), cancellationToken);

    /// <summary>The delay the queue is asked for: negative is now, longer than <see cref="MaxDelay"/> is <see cref="MaxDelay"/>.</summary>
    public static TimeSpan Clamp(TimeSpan delay) => delay < TimeSpan.Zero ? TimeSpan.Zero : delay > MaxDelay ? MaxDelay : delay;

    public static string Serialize(RunTimer timer)
        => JsonSerializer.Serialize(new TimerMessage(timer.RunId, KindName(timer.Kind), timer.Attempt), QueueJson.Options);

    /// <summary>The timer a message carries; a <see cref="FormatException"/> when it is not one (unknown kind, no run id, negative attempt).</summary>
    public static RunTimer Parse(string message)
    {
        var m = QueueJson.Read<TimerMessage>(message, What);
        var runId = QueueJson.Require(m.RunId, What, "runId");
        var kind = QueueJson.Require(m.Kind, What, "kind") switch
        {
            "offer" => RunTimerKind.Offer,
            "deadline" => RunTimerKind.Deadline,
            "finished" => RunTimerKind.Finished,
            var other => throw new FormatException($"{What} message has unknown kind '{other}' (offer, deadline or finished)"),
        };
        if (m.Attempt is < 0)
        {
            throw new FormatException($"{What} message has a negative attempt");
        }

        return new RunTimer(runId, kind, m.Attempt ?? 0);
    }

    private static string KindName(RunTimerKind kind) => kind switch
    {
        RunTimerKind.Offer => "offer",
        RunTimerKind.Deadline => "deadline",
        RunTimerKind.Finished => "finished",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown run timer kind"),
    };

    private sealed record TimerMessage(string? RunId, string? Kind, int? Attempt);
}
