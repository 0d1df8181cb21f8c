using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Core.Pairing;

/// <summary>Bookkeeping after a committed decision: a failure is logged loudly but never turns success into failure.</summary>
internal static partial class AfterCommit
{
    public static async Task RunAsync(ILogger logger, string step, Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(logger, ex, step);
        }
    }

    [LoggerMessage(EventId = 202, Level = LogLevel.Error, Message = "a committed pairing decision could not finish its {Step} step")]
    private static partial void LogFailed(ILogger logger, Exception exception, string step);
}
