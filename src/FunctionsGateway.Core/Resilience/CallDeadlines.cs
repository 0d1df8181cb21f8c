using FunctionsGateway.Protocol;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Core.Resilience;

/// <summary>
/// Starts the deadline a call runs under (<c>Gateway__Storage__Deadline</c>), so a stalled storage account answers
/// <c>UNAVAILABLE</c> with a retry hint instead of holding the call open.
/// </summary>
public sealed class CallDeadlines(IOptions<StorageDeadlineOptions> options, TimeProvider time)
{
    public TimeSpan Deadline => options.Value.Deadline;

    /// <summary>The retry hint an <c>UNAVAILABLE</c> answer carries.</summary>
    public TimeSpan RetryAfter => options.Value.RetryAfter;

    /// <summary>A deadline linked to the caller's own token; <paramref name="extra"/> is time a method waits by design.</summary>
    public CallDeadline Start(CancellationToken caller, TimeSpan extra = default) => new(Deadline + extra, time, caller);

    /// <summary><c>{ok:false, error{code:"UNAVAILABLE", details{code:"STORAGE_UNAVAILABLE", retryAfterMs}}}</c>.</summary>
    public GatewayResponse Unavailable() => StorageUnavailable.Response(RetryAfter);
}

/// <summary>One call's deadline: its token, and whether a failure means storage stalled rather than a bug or a caller gone.</summary>
public sealed class CallDeadline : IDisposable
{
    private readonly CancellationToken caller;
    private readonly CancellationTokenSource timer;
    private readonly CancellationTokenSource linked;

    internal CallDeadline(TimeSpan budget, TimeProvider time, CancellationToken caller)
    {
        this.caller = caller;
        timer = new CancellationTokenSource(budget, time);
        linked = CancellationTokenSource.CreateLinkedTokenSource(caller, timer.Token);
    }

    /// <summary>Cancelled when the deadline passes or the caller cancels.</summary>
    public CancellationToken Token => linked.Token;

    public bool Expired => timer.IsCancellationRequested;

    /// <summary>
    /// True when <paramref name="exception"/> is storage failing for the moment (as the storage layer reports it) or this
    /// deadline passing; false when the caller itself cancelled (client gone, host stopping), which is no answer at all.
    /// </summary>
    public bool IsStorageFault(Exception exception)
        => !caller.IsCancellationRequested
           && (exception is StorageUnavailableException || (exception is OperationCanceledException && Expired));

    public void Dispose()
    {
        linked.Dispose();
        timer.Dispose();
    }
}

public static class StorageUnavailable
{
    public const string Message = "storage did not answer in time; retry later";

    public static GatewayResponse Response(TimeSpan retryAfter)
        => GatewayResponse.Failure(ErrorCodes.Unavailable, Message,
            new ErrorDetails(DetailCodes.StorageUnavailable, new { retryAfterMs = (long)Math.Ceiling(retryAfter.TotalMilliseconds) }));
}
