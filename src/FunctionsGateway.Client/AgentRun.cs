using FunctionsGateway.Protocol;

namespace FunctionsGateway.Client;

/// <summary>
/// One run handed to an <see cref="AgentWorkerHost"/> delegate: the fields of its <c>node.run</c> event, and a way to
/// report progress. Construct one yourself to test a delegate without a gateway.
/// </summary>
public sealed class AgentRun
{
    private readonly Func<string, CancellationToken, Task>? reportProgress;

    /// <summary>A run for <paramref name="run"/>; <paramref name="reportProgress"/> receives progress (none: it is dropped).</summary>
    public AgentRun(NodeRunEvent run, Func<string, CancellationToken, Task>? reportProgress = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        Event = run;
        this.reportProgress = reportProgress;
    }

    /// <summary>The event as the gateway sent it.</summary>
    public NodeRunEvent Event { get; }

    public string RunId => Event.RunId;

    public string SessionKey => Event.SessionKey;

    public string AgentId => Event.AgentId;

    /// <summary>What to do: the text of the run.</summary>
    public string Task => Event.Task;

    /// <summary><c>main</c> or <c>subagent</c> (<see cref="RunLanes"/>).</summary>
    public string Lane => Event.Lane;

    public string? Model => Event.Model;

    /// <summary>After this the host cancels the delegate and reports the run failed; null when the gateway sent none.</summary>
    public TimeSpan? Timeout => Event.TimeoutMs > 0 ? TimeSpan.FromMilliseconds(Event.TimeoutMs) : null;

    /// <summary>True only when the call that started the run held <c>operator.admin</c>.</summary>
    public bool SenderIsOwner => Event.SenderIsOwner;

    /// <summary>
    /// Sends <c>node.event {kind:"progress", output}</c>. Best effort: a failed send is logged, not thrown; if the gateway
    /// no longer holds the run, the host cancels it. A no-op once the run has ended. Await it before returning, so the
    /// final report cannot overtake it.
    /// </summary>
    public System.Threading.Tasks.Task ReportProgressAsync(string output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        return reportProgress is null ? System.Threading.Tasks.Task.CompletedTask : reportProgress(output, cancellationToken);
    }
}
