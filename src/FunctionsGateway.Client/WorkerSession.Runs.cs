using System.Text.Json;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Client;

/// <summary>One run of the session, from its offer to its report: wait for a slot, claim, run the delegate, report once.</summary>
internal sealed partial class WorkerSession
{
    private async Task ProcessAsync(WorkerRun run)
    {
        try
        {
            try
            {
                await host.Slots.WaitAsync(run.Token);
            }
            catch (OperationCanceledException)
            {
                // Ended while waiting for a slot: never claimed, so nothing to report.
                host.Notify(AgentRunPhase.Cancelled, run.Event, run.EndReason);
                return;
            }

            try
            {
                await RunClaimedAsync(run);
            }
            finally
            {
                host.Slots.Release();
            }
        }
        catch (Exception ex)
        {
            AgentWorkerLog.Unexpected(host.Logger, ex, run.Event.RunId);
        }
        finally
        {
            run.TryEnd();
            runs.TryRemove(new KeyValuePair<string, WorkerRun>(run.Event.RunId, run));
            run.Dispose();
        }
    }

    private async Task RunClaimedAsync(WorkerRun run)
    {
        var runId = run.Event.RunId;
        if (run.IsEnded)
        {
            host.Notify(AgentRunPhase.Cancelled, run.Event, run.EndReason);
            return;
        }

        if (!await ClaimAsync(run))
        {
            return;
        }

        if (run.IsEnded)
        {
            // Ended while the claim was in flight: the gateway now holds it as running.
            await ReportEndAsync(run);
            return;
        }

        AgentWorkerLog.Started(host.Logger, runId);
        host.Notify(AgentRunPhase.Started, run.Event);
        var timeoutMs = run.Event.TimeoutMs;
        using var timer = timeoutMs > 0
            ? host.Time.CreateTimer(_ => End(run, $"timed out after {timeoutMs} ms", report: true), null, TimeSpan.FromMilliseconds(timeoutMs), Timeout.InfiniteTimeSpan)
            : null;
        var agentRun = new AgentRun(run.Event, (output, ct) => ProgressAsync(run, output, ct));
        var work = Task.Run(() => host.Handler(agentRun, run.Token));
        await Task.WhenAny(work, run.EndedElsewhere);
        if (run.TryEnd())
        {
            await ReportOutcomeAsync(run, work);
            return;
        }

        await ReportEndAsync(run);
        // The slot stays taken until the delegate has really returned, so the limit holds for work, not reports.
        try
        {
            await work;
        }
        catch (Exception)
        {
            // Its outcome no longer matters: the run was ended without it.
        }
    }

    /// <summary>Sends <c>started</c>; false (the run is dropped) when the gateway refuses it.</summary>
    private async Task<bool> ClaimAsync(WorkerRun run)
    {
        try
        {
            await SendAsync(run, NodeEventKinds.Started);
            return true;
        }
        catch (GatewayException ex)
        {
            // RUN_NOT_OFFERED: another worker started it, it was re-offered, or it has ended. Anything else: we cannot
            // tell whether the gateway holds it, and without a claim it must not run.
            AgentWorkerLog.Refused(host.Logger, run.Event.RunId, ex.DetailCode ?? ex.Code);
            host.Notify(AgentRunPhase.Refused, run.Event, ex.Message);
            return false;
        }
    }

    private async Task ReportOutcomeAsync(WorkerRun run, Task<string> work)
    {
        if (work.IsCompletedSuccessfully)
        {
            var output = work.Result ?? string.Empty;
            try
            {
                await SendAsync(run, NodeEventKinds.Completed, output: output);
                AgentWorkerLog.Completed(host.Logger, run.Event.RunId);
                host.Notify(AgentRunPhase.Completed, run.Event, output);
                return;
            }
            catch (GatewayException ex) when (ex.DetailCode == DetailCodes.PayloadTooLarge)
            {
                // Else the run would hang on the gateway until its timeout.
                await ReportFailedAsync(run, $"output too large to report ({output.Length} chars)", ex);
                return;
            }
            catch (GatewayException ex)
            {
                AgentWorkerLog.ReportFailed(host.Logger, ex, run.Event.RunId, NodeEventKinds.Completed);
                host.Notify(AgentRunPhase.Completed, run.Event, output);
                return;
            }
        }

        var error = work.Exception?.GetBaseException() ?? new OperationCanceledException("the delegate was cancelled");
        await ReportFailedAsync(run, string.IsNullOrEmpty(error.Message) ? error.GetType().Name : error.Message, error);
    }

    private Task ReportEndAsync(WorkerRun run)
    {
        if (run.ReportEnd)
        {
            return ReportFailedAsync(run, run.EndReason!, null);
        }

        host.Notify(AgentRunPhase.Cancelled, run.Event, run.EndReason);
        return Task.CompletedTask;
    }

    /// <summary>Reports <c>failed</c>; <paramref name="cause"/> is null when the host itself ended the run (timeout, stop).</summary>
    private async Task ReportFailedAsync(WorkerRun run, string error, Exception? cause)
    {
        if (cause is null)
        {
            AgentWorkerLog.EndedByHost(host.Logger, run.Event.RunId, error);
        }
        else
        {
            AgentWorkerLog.Failed(host.Logger, cause, run.Event.RunId, error);
        }

        try
        {
            await SendAsync(run, NodeEventKinds.Failed, error: error);
        }
        catch (GatewayException ex)
        {
            AgentWorkerLog.ReportFailed(host.Logger, ex, run.Event.RunId, NodeEventKinds.Failed);
        }

        host.Notify(AgentRunPhase.Failed, run.Event, error);
    }

    private async Task ProgressAsync(WorkerRun run, string output, CancellationToken cancellationToken)
    {
        if (run.IsEnded)
        {
            return;
        }

        try
        {
            await SendAsync(run, NodeEventKinds.Progress, output: output, cancellationToken: cancellationToken);
            host.Notify(AgentRunPhase.Progress, run.Event, output);
        }
        catch (GatewayException ex) when (ex.DetailCode == DetailCodes.RunNotOffered)
        {
            End(run, "the gateway no longer holds this run", report: false);
        }
        catch (GatewayException ex)
        {
            AgentWorkerLog.ProgressFailed(host.Logger, ex, run.Event.RunId);
        }
    }

    // Claims and reports are not tied to the session's lifetime: a closed connection fails them anyway, and a stop
    // still wants its reports delivered.
    private Task<JsonElement> SendAsync(WorkerRun run, string kind, string? output = null, string? error = null, CancellationToken cancellationToken = default)
        => Client.InvokeAsync(GatewayMethods.NodeEvent, new NodeEventParams { RunId = run.Event.RunId, Kind = kind, Output = output, Error = error }, cancellationToken);
}
