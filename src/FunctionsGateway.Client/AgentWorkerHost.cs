using FunctionsGateway.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FunctionsGateway.Client;

/// <summary>
/// Runs a delegate for each run the gateway offers to an agent worker (a <c>node</c> connection, docs/protocol.md §5.2):
/// claims it with <c>node.event started</c> (a refused claim drops it unrun), runs the delegate, and reports
/// <c>completed</c> with its output or <c>failed</c> with its exception's message. <c>node.run.cancel</c> cancels the
/// delegate and nothing more is reported; the run's <c>timeoutMs</c> cancels it and reports
/// <c>failed</c> "timed out after N ms". The host never throws for a run.
/// <para>
/// Connections: <see cref="StartAsync"/> serves one admitted connection and reads its event stream
/// (<see cref="GatewayClient.Events"/>: do not read it elsewhere; <see cref="GatewayClient.EventReceived"/> still fans
/// out). When that connection closes, its runs are cancelled without a report, since the gateway holds each run
/// against the connection it was offered on and re-offers or fails it; the host then waits, idle, until
/// <see cref="StartAsync"/> is called with a new connection. <see cref="ServeAsync"/> wraps one such turn for a
/// reconnect loop.
/// </para>
/// </summary>
public sealed class AgentWorkerHost : IAsyncDisposable
{
    private readonly Lock gate = new();
    private readonly AgentWorkerOptions options;
    private readonly List<WorkerSession> sessions = [];
    private bool disposed;

    /// <summary>A host that runs <paramref name="handler"/> for each run; it serves nothing until <see cref="StartAsync"/>.</summary>
    /// <param name="handler">The agent: returns the run's output; observes the token (cancel, timeout, stop).</param>
    /// <param name="options">Agent ids and concurrency; validated and copied.</param>
    /// <param name="logger">Optional.</param>
    /// <param name="timeProvider">Optional; runs' timeouts use it.</param>
    public AgentWorkerHost(
        Func<AgentRun, CancellationToken, Task<string>> handler,
        AgentWorkerOptions? options = null,
        ILogger<AgentWorkerHost>? logger = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        this.options = (options ?? new AgentWorkerOptions()).Clone();
        this.options.Validate();
        AgentIds = this.options.AgentIds.ToHashSet(StringComparer.Ordinal);
        Handler = handler;
        Logger = logger ?? (ILogger)NullLogger.Instance;
        Time = timeProvider ?? TimeProvider.System;
        Slots = new SemaphoreSlim(this.options.MaxConcurrentRuns, this.options.MaxConcurrentRuns);
    }

    /// <summary>
    /// Raised for each step of each run (offered, started, refused, progress, completed, failed, cancelled), from the
    /// host's own tasks. A handler that throws is logged and ignored.
    /// </summary>
    public event Action<AgentRunUpdate>? RunUpdated;

    /// <summary>The options in effect (a copy: changing it changes nothing).</summary>
    public AgentWorkerOptions Options => options.Clone();

    /// <summary>Runs holding a slot now: being claimed, running, or ended but with a delegate that has not yet returned.</summary>
    public int ActiveRuns => options.MaxConcurrentRuns - Slots.CurrentCount;

    /// <summary>The agent ids served; empty: all.</summary>
    internal IReadOnlySet<string> AgentIds { get; }

    internal Func<AgentRun, CancellationToken, Task<string>> Handler { get; }

    internal ILogger Logger { get; }

    internal TimeProvider Time { get; }

    internal SemaphoreSlim Slots { get; }

    /// <summary>
    /// Serves <paramref name="client"/>, an admitted <c>node</c> connection: reads its events and, when
    /// <see cref="AgentWorkerOptions.AgentIds"/> is set, sends <c>node.event {kind:"ready", agentIds}</c> (its failure is
    /// thrown, and the host is left idle). Throws <see cref="InvalidOperationException"/> while another connection is
    /// still open and served: <see cref="StopAsync"/> it first.
    /// </summary>
    public async Task StartAsync(GatewayClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (client.Role != GatewayRoles.Node)
        {
            throw new ArgumentException($"an agent worker needs a node connection; this one has role '{client.Role}'", nameof(client));
        }

        var next = new WorkerSession(this, client);
        WorkerSession[] closed;
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (sessions.Any(s => !s.IsStopping && !s.Client.Closed.IsCompleted))
            {
                throw new InvalidOperationException("the worker already serves an open connection: stop it first");
            }

            closed = [.. sessions.Where(s => !s.IsStopping)];
            sessions.Add(next);
        }

        // Sessions of closed connections have cancelled their runs; let them finish in the background.
        foreach (var old in closed)
        {
            _ = StopSessionAsync(old, CancellationToken.None);
        }

        next.Start();
        if (options.AgentIds.Count > 0)
        {
            try
            {
                await client.InvokeAsync(GatewayMethods.NodeEvent, new NodeEventParams { Kind = NodeEventKinds.Ready, AgentIds = [.. options.AgentIds] }, cancellationToken);
            }
            catch
            {
                await StopSessionAsync(next, CancellationToken.None);
                throw;
            }
        }

        AgentWorkerLog.Serving(Logger, client.ConnectionId, options.AgentIds.Count == 0 ? "all" : string.Join(',', options.AgentIds), options.MaxConcurrentRuns);
    }

    /// <summary>
    /// Stops serving the current connection: no new runs; runs not yet claimed are dropped; claimed ones are cancelled and,
    /// while the connection is open, reported <c>failed</c> "worker stopped". Waits until every delegate has returned
    /// (<paramref name="cancellationToken"/> abandons the wait, not the stop). The connection itself stays open.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        WorkerSession[] current;
        lock (gate)
        {
            current = [.. sessions];
        }

        return Task.WhenAll(current.Select(s => StopSessionAsync(s, cancellationToken)));
    }

    /// <summary>
    /// One turn of a reconnect loop: <see cref="StartAsync"/>, then serve until the connection closes (returns its close
    /// reason, null for a clean close) or <paramref name="cancellationToken"/> fires (throws
    /// <see cref="OperationCanceledException"/>); either way the host is stopped before this returns. Decide the next
    /// turn with <see cref="CloseReasons.Classify"/>: after a revoked token or a removed device, do not reconnect.
    /// </summary>
    public async Task<string?> ServeAsync(GatewayClient client, CancellationToken cancellationToken = default)
    {
        await StartAsync(client, cancellationToken);
        try
        {
            return await client.Closed.WaitAsync(cancellationToken);
        }
        finally
        {
            await StopAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
        }

        await StopAsync(CancellationToken.None);
        Slots.Dispose();
    }

    internal void Notify(AgentRunPhase phase, NodeRunEvent run, string? detail = null)
    {
        try
        {
            RunUpdated?.Invoke(new AgentRunUpdate(phase, run, detail));
        }
        catch (Exception ex)
        {
            AgentWorkerLog.UpdateHandlerFailed(Logger, ex);
        }
    }

    private async Task StopSessionAsync(WorkerSession stopping, CancellationToken cancellationToken)
    {
        await stopping.StopAsync(cancellationToken);
        lock (gate)
        {
            sessions.Remove(stopping);
        }
    }
}
