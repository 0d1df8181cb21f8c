using FunctionsGateway.Protocol;

namespace FunctionsGateway.Client;

/// <summary>What happened to a run on an <see cref="AgentWorkerHost"/>.</summary>
public enum AgentRunPhase
{
    /// <summary><c>node.run</c> arrived and was accepted; the run waits for a free slot before it is claimed.</summary>
    Offered,

    /// <summary>The gateway accepted the claim (<c>started</c>); the delegate runs now.</summary>
    Started,

    /// <summary>The claim was refused (<c>RUN_NOT_OFFERED</c>, or another error): dropped, the delegate never ran.</summary>
    Refused,

    /// <summary>The delegate reported progress and the gateway accepted it.</summary>
    Progress,

    /// <summary><c>completed</c> was reported with the delegate's output.</summary>
    Completed,

    /// <summary><c>failed</c> was reported: the delegate threw, the run timed out, or the host stopped.</summary>
    Failed,

    /// <summary>
    /// The run was cancelled without a report: <c>node.run.cancel</c>, the connection closed, or the gateway no longer
    /// holds it. A run cancelled before its claim never ran.
    /// </summary>
    Cancelled,
}

/// <summary>
/// One step of one run, for display and tests (<see cref="AgentWorkerHost.RunUpdated"/>). <c>Detail</c> is
/// the output (completed, progress), the error (failed, refused) or the reason (cancelled).
/// </summary>
public sealed record AgentRunUpdate(AgentRunPhase Phase, NodeRunEvent Run, string? Detail = null);
