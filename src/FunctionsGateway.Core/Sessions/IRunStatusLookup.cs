namespace FunctionsGateway.Core.Sessions;

/// <summary>
/// How far a child's run has got, for <c>sessions.get</c>. The runs slice implements it, so sessions need not know
/// how runs are stored (runs already depend on sessions).
/// </summary>
public interface IRunStatusLookup
{
    /// <summary>The run's status now; null when no run has that id (yet).</summary>
    Task<string?> StatusOfAsync(string runId, CancellationToken cancellationToken);
}
