using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Client;

/// <summary>The agent worker's log lines (event ids 1000–1099).</summary>
internal static partial class AgentWorkerLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "agent worker serving connection {ConnectionId} (agents {AgentIds}, up to {MaxRuns} runs at once)")]
    public static partial void Serving(ILogger logger, string connectionId, string agentIds, int maxRuns);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "run {RunId} for agent {AgentId} offered")]
    public static partial void Offered(ILogger logger, string runId, string agentId);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "run {RunId} started")]
    public static partial void Started(ILogger logger, string runId);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "run {RunId} refused at start ({Code}): dropped without running")]
    public static partial void Refused(ILogger logger, string runId, string code);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "run {RunId} completed")]
    public static partial void Completed(ILogger logger, string runId);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "run {RunId} failed: {Error}")]
    public static partial void Failed(ILogger logger, Exception exception, string runId, string error);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Information, Message = "run {RunId} ended by the worker, reported failed: {Reason}")]
    public static partial void EndedByHost(ILogger logger, string runId, string reason);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "run {RunId} cancelled: {Reason}")]
    public static partial void Cancelled(ILogger logger, string runId, string reason);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "run {RunId}: the {Kind} report was not delivered")]
    public static partial void ReportFailed(ILogger logger, Exception exception, string runId, string kind);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning, Message = "ignored a malformed {Event} event")]
    public static partial void Malformed(ILogger logger, Exception? exception, string @event);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Warning, Message = "ignored run {RunId}: agent {AgentId} is not served here")]
    public static partial void NotServed(ILogger logger, string runId, string agentId);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Debug, Message = "ignored a second offer of run {RunId}")]
    public static partial void Duplicate(ILogger logger, string runId);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "connection {ConnectionId} closed ({Reason}): its runs were cancelled")]
    public static partial void ConnectionClosed(ILogger logger, string connectionId, string reason);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Error, Message = "run {RunId}: unexpected failure in the worker host")]
    public static partial void Unexpected(ILogger logger, Exception exception, string runId);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Warning, Message = "a RunUpdated handler threw")]
    public static partial void UpdateHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Debug, Message = "run {RunId}: progress not delivered")]
    public static partial void ProgressFailed(ILogger logger, Exception exception, string runId);
}
