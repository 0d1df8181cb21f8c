using System.Collections.Concurrent;
using System.Text.Json;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Client;

/// <summary>
/// An <see cref="AgentWorkerHost"/> on one connection: reads its events, and claims, runs and reports the runs offered on
/// it. A run belongs to the connection it was offered on (the gateway holds it against that connection), so when the
/// connection closes its runs are cancelled without a report.
/// </summary>
internal sealed partial class WorkerSession(AgentWorkerHost host, GatewayClient client) : IDisposable
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
        if (host.AgentIds.Count > 0 && !host.AgentIds.Contains(offered.AgentId ?? string.Empty))
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
