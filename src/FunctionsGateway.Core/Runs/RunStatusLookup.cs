using FunctionsGateway.Core.Sessions;

namespace FunctionsGateway.Core.Runs;

/// <summary>A run's status by its id: one point read of the run row.</summary>
public sealed class RunStatusLookup(IRunStore runs) : IRunStatusLookup
{
    public async Task<string?> StatusOfAsync(string runId, CancellationToken cancellationToken)
        => (await runs.GetAsync(runId, cancellationToken))?.Status;
}
