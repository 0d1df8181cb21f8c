using System.Collections.Concurrent;
using System.Text.Json;
using FunctionsGateway.Protocol;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Client;

/// <summary>
/// An <see cref="AgentWorkerHost"/> on one connection: reads its events, and claims, runs and reports the runs offered on
/// it. A run belongs to the connection it was offered on (the gateway holds it against that connection), so when the
/// connection closes its runs are cancelled without a report.
/// </summary>
internal sealed class WorkerSession(AgentWorkerHost host, GatewayClient client) : IDisposable
{
    private const string ConnectionClosedReason = "connection closed";
    private readonly CancellationTokenSource lifetime = new();
    private readonly ConcurrentDictionary<string, WorkerRun> runs = new(StringComparer.Ordinal);
    private Task pump = Task.CompletedTask;
    private int stopping;

    public GatewayClient Client { get; } = client;

    /// <summary>True once <see cref="StopAsync"/> was called: the session takes no new runs.</summary>
    public bool IsStopping => Volatile.Read(ref stopping) != 0;

    public void Start() => pump = Task.Run(PumpAsync);

    /// <summary>Stops reading, ends every run (claimed ones are reported failed while the connection is open) and waits for them.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref stopping, 1) == 0)
        {
            await lifetime.CancelAsync();
        }

        await pump;
        var report = !Client.Closed.IsCompleted;
        foreach (var run in runs.Values)
        {
            End(run, report ? "worker stopped" : ConnectionClosedReason, report);
        }

        await Task.WhenAll(runs.Values.Select(r => r.Processing)).WaitAsync(cancellationToken);
        Dispose();
    }

    public void Dispose() => lifetime.Dispose();

    private async Task PumpAsync()
    {
        try
        {
            await foreach (var gatewayEvent in Client.Events(lifetime.Token))
            {
                try
                {
                    if (gatewayEvent.Event == GatewayEvents.NodeRun)
                    {
                        Offer(gatewayEvent);
                    }
                    else if (gatewayEvent.Event == GatewayEvents.NodeRunCancel)
                    {
                        Cancel(gatewayEvent);
                    }
                }
                catch (Exception ex)
                {
                    // One odd event must not stop the worker from reading the next.
                    AgentWorkerLog.Malformed(host.Logger, ex, gatewayEvent.Event);
                }
            }
        }
        catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
        {
            return;
        }

        if (!IsStopping)
        {
            var reason = Client.Closed.IsCompletedSuccessfully ? Client.Closed.Result : null;
            AgentWorkerLog.ConnectionClosed(host.Logger, Client.ConnectionId, reason ?? "no reason given");
            foreach (var run in runs.Values)
            {
                End(run, ConnectionClosedReason, report: false);
            }
        }
    }

    private void Offer(GatewayEvent gatewayEvent)
    {
        var offered = Read<NodeRunEvent>(gatewayEvent, r => !string.IsNullOrEmpty(r.RunId));
        if (offered is null)
        {
            return;
        }

        // The wire may leave agentId out; the session key names it.
        if (string.IsNullOrEmpty(offered.AgentId) && SessionKeys.TryParse(offered.SessionKey, out var agentId, out _))
        {
            offered = offered with { AgentId = agentId };
        }

        offered = offered with { Task = offered.Task ?? string.Empty };
        if (host.Options.AgentIds.Count > 0 && !host.Options.AgentIds.Contains(offered.AgentId ?? string.Empty, StringComparer.Ordinal))
        {
            // Possible before the gateway has read our ready; it offers the run to another worker when the offer lapses.
            AgentWorkerLog.NotServed(host.Logger, offered.RunId, offered.AgentId ?? "(none)");
            return;
        }

        var run = new WorkerRun(offered);
        if (!runs.TryAdd(offered.RunId, run))
        {
            run.Dispose();
            AgentWorkerLog.Duplicate(host.Logger, offered.RunId);
            return;
        }

        AgentWorkerLog.Offered(host.Logger, offered.RunId, offered.AgentId ?? string.Empty);
        host.Notify(AgentRunPhase.Offered, offered);
        run.Processing = Task.Run(() => ProcessAsync(run));
    }

    private void Cancel(GatewayEvent gatewayEvent)
    {
        var cancel = Read<NodeRunCancelEvent>(gatewayEvent, c => !string.IsNullOrEmpty(c.RunId));
        if (cancel is not null && runs.TryGetValue(cancel.RunId, out var run))
        {
            End(run, string.IsNullOrEmpty(cancel.Reason) ? "cancelled by the gateway" : cancel.Reason, report: false);
        }
    }

    private void End(WorkerRun run, string reason, bool report)
    {
        if (run.End(reason, report) && !report)
        {
            AgentWorkerLog.Cancelled(host.Logger, run.Event.RunId, reason);
        }
    }

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

    private async Task ReportFailedAsync(WorkerRun run, string error, Exception? cause)
    {
        AgentWorkerLog.Failed(host.Logger, cause, run.Event.RunId, error);
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

    private T? Read<T>(GatewayEvent gatewayEvent, Func<T, bool> isValid)
        where T : class
    {
        try
        {
            if (gatewayEvent.PayloadAs<T>() is { } value && isValid(value))
            {
                return value;
            }

            AgentWorkerLog.Malformed(host.Logger, null, gatewayEvent.Event);
        }
        catch (JsonException ex)
        {
            AgentWorkerLog.Malformed(host.Logger, ex, gatewayEvent.Event);
        }

        return null;
    }
}
