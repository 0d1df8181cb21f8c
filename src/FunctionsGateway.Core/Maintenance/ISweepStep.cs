namespace FunctionsGateway.Core.Maintenance;

/// <summary>
/// One kind of leftover state the periodic sweep removes (stale connection rows, stale worker rows, expired pairing
/// requests). A step must be idempotent, since two hosts may sweep at once, and cheap: it reads only what may be stale,
/// and does at most <c>budget</c> deletions per run, leaving the rest to the next.
/// </summary>
public interface ISweepStep
{
    /// <summary>A short name for logs and metrics, e.g. "connections".</summary>
    string Name { get; }

    Task<SweepStepResult> RunAsync(DateTimeOffset now, int budget, CancellationToken cancellationToken);
}

/// <summary>What one step looked at and what it removed (a row removed by someone else first counts as examined only).</summary>
public readonly record struct SweepStepResult(int Examined, int Removed);
