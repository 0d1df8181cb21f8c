using FunctionsGateway.Core.Options;
using FunctionsGateway.Hosting;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsGateway.Functions;

/// <summary>The periodic sweep of stale connection, worker and pairing rows, on the <c>GatewaySweepSchedule</c> setting.</summary>
public sealed class SweepFunction(SweepTimerHandler handler)
{
    /// <summary>The schedule as a binding expression: the Functions host reads the setting, so each app can set its own.</summary>
    public const string Schedule = "%" + SettingNames.SweepSchedule + "%";

    [Function(nameof(SweepFunction))]
    public Task Run([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken)
        => handler.RunAsync(timer.IsPastDue, cancellationToken);
}
