using FunctionsGateway.Core.Resilience;
using FunctionsGateway.Protocol;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Hosting;

/// <summary>
/// Runs an HTTP endpoint's work under the storage deadline, for both hosts: a stall or an outage answers 503 with a
/// JSON error and <c>Retry-After</c> within the deadline, a bug 500 with a JSON error; never a hang or an empty 500.
/// </summary>
public sealed partial class StorageCallGuard(CallDeadlines deadlines, ILogger<StorageCallGuard> logger)
{
    public const int UnavailableStatus = 503;

    public async Task<HttpReply> RunAsync(string operation, Func<CancellationToken, Task<HttpReply>> work, CancellationToken cancellationToken)
    {
        using var deadline = deadlines.Start(cancellationToken);
        try
        {
            return await work(deadline.Token);
        }
        catch (Exception ex) when (deadline.IsStorageFault(ex))
        {
            LogStorageUnavailable(logger, operation, ex.GetType().Name, ex.Message);
            return Unavailable(deadlines.Unavailable(), deadlines.RetryAfter);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(logger, ex, operation);
            return HttpReply.Json(500, new { error = new GatewayError(ErrorCodes.Unavailable, "the gateway could not complete the request; retry") });
        }
    }

    /// <summary>503 <c>{error{code:"UNAVAILABLE", message, details{code:"STORAGE_UNAVAILABLE", retryAfterMs}}}</c> with <c>Retry-After</c>.</summary>
    public static HttpReply Unavailable(GatewayResponse response, TimeSpan retryAfter)
    {
        var json = HttpReply.Json(UnavailableStatus, new { error = response.Error });
        return new HttpReply(json.Status, json.ContentType, json.Body) { RetryAfter = retryAfter };
    }

    [LoggerMessage(EventId = 540, Level = LogLevel.Warning, Message = "{Operation} answered 503: storage did not answer in time ({Fault}: {Reason})")]
    private static partial void LogStorageUnavailable(ILogger logger, string operation, string fault, string reason);

    [LoggerMessage(EventId = 541, Level = LogLevel.Error, Message = "{Operation} failed unexpectedly")]
    private static partial void LogFailed(ILogger logger, Exception exception, string operation);
}
