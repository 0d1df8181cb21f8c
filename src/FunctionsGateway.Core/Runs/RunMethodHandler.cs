using System.Text.Json.Serialization;
using FunctionsGateway.Core.Methods;
using FunctionsGateway.Core.Sessions;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Runs;

/// <summary><c>agent</c>, <c>agent.wait</c>, <c>runs.get</c>, <c>chat.send</c> and <c>chat.abort</c>.</summary>
public sealed class RunMethodHandler(RunService service, IRunStore runs, SessionAccess access, ChatLog chat, TimeProvider time)
    : IMethodHandler
{
    private static readonly TimeSpan WaitPoll = TimeSpan.FromMilliseconds(250);
    private const int MaxWaitMs = 30_000;

    public IReadOnlyCollection<string> Methods { get; } =
        [GatewayMethods.Agent, GatewayMethods.AgentWait, GatewayMethods.RunsGet, GatewayMethods.ChatSend, GatewayMethods.ChatAbort];

    /// <summary>agent.wait polls for up to 30 s; the call's deadline is added to that.</summary>
    public TimeSpan WaitBudget(string method) => method == GatewayMethods.AgentWait ? TimeSpan.FromMilliseconds(MaxWaitMs) : TimeSpan.Zero;

    public async Task<GatewayResponse> HandleAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var p = context.Bind<RunParams>();
        if (context.Method is GatewayMethods.RunsGet or GatewayMethods.AgentWait)
        {
            return await ReadAsync(context, p, cancellationToken);
        }

        var (session, refusal) = await access.OpenAsync(context, p.SessionKey, cancellationToken);
        if (session is null)
        {
            return refusal!;
        }

        switch (context.Method)
        {
            case GatewayMethods.ChatAbort:
                return await service.AbortAsync(session.SessionKey, RequireRunId(p), "aborted by " + context.Principal.DeviceId, cancellationToken);
            case GatewayMethods.ChatSend:
                var text = p.Message ?? throw new InvalidParamsException("message is required");
                var (run, error) = await StartAsync(context, session, text, RunLanes.Main, p, cancellationToken);
                if (run is not null)
                {
                    await chat.AppendAsync(session.SessionKey, ChatRoles.User, text, run.RunId, cancellationToken);
                }

                return error ?? Started(run!);
            default:
                var lane = p.Lane ?? RunLanes.Main;
                // Only the sub-agent of a child session runs in its subagent lane: that run is the one announced to the
                // requester and followed by the child's cleanup.
                var own = context.Principal.IsInternal && context.Principal.BoundSessionKey == session.SessionKey;
                if (lane is not (RunLanes.Main or RunLanes.Subagent) || (lane == RunLanes.Subagent && (session.SpawnedBy is null || !own)))
                {
                    throw new InvalidParamsException("lane must be main; subagent is the lane of a child session's own sub-agent");
                }

                var started = await StartAsync(context, session, p.Task ?? p.Message ?? throw new InvalidParamsException("task is required"), lane, p, cancellationToken);
                return started.Error ?? Started(started.Run!);
        }
    }

    private async Task<(RunRecord? Run, GatewayResponse? Error)> StartAsync(MethodContext context, SessionRecord session, string task, string lane, RunParams p, CancellationToken cancellationToken)
    {
        if (p.RunId is not null && !IsRunId(p.RunId))
        {
            throw new InvalidParamsException("runId must be 32 lowercase hex characters");
        }

        return await service.StartAsync(new RunStart(context.Principal, session, task, lane, p.Model, p.TimeoutSeconds, p.RunId), cancellationToken);
    }

    private static GatewayResponse Started(RunRecord run)
        => GatewayResponse.Success(new { runId = run.RunId, sessionKey = run.SessionKey, status = run.Status, senderIsOwner = run.SenderIsOwner });

    /// <summary><c>runs.get</c> now, or <c>agent.wait</c> until the run has ended or the wait is over.</summary>
    private async Task<GatewayResponse> ReadAsync(MethodContext context, RunParams p, CancellationToken cancellationToken)
    {
        var runId = RequireRunId(p);
        var waitMs = context.Method == GatewayMethods.AgentWait ? p.TimeoutMs ?? 10_000 : 0;
        if (waitMs is < 0 or > MaxWaitMs)
        {
            throw new InvalidParamsException($"timeoutMs must be 0..{MaxWaitMs}");
        }

        var until = time.GetUtcNow().AddMilliseconds(waitMs);
        while (true)
        {
            var run = await runs.GetAsync(runId, cancellationToken);
            if (run is null || await access.AuthorizeAsync(context, run.SessionKey, cancellationToken) is not null)
            {
                // A sub-agent asking for another session's run learns nothing about it.
                return GatewayResponse.Invalid("run not found: " + runId, DetailCodes.RunNotFound);
            }

            if (RunStatuses.IsTerminal(run.Status) || time.GetUtcNow() >= until)
            {
                return GatewayResponse.Success(RunView.From(run));
            }

            await Task.Delay(WaitPoll, time, cancellationToken);
        }
    }

    private static string RequireRunId(RunParams p)
        => p.RunId is { } id && IsRunId(id) ? id : throw new InvalidParamsException("runId is required (32 lowercase hex characters)");

    private static bool IsRunId(string id) => id.Length == 32 && id.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    private sealed class RunParams
    {
        [JsonPropertyName("sessionKey")] public string? SessionKey { get; set; }
        [JsonPropertyName("task")] public string? Task { get; set; }
        [JsonPropertyName("message")] public string? Message { get; set; }
        [JsonPropertyName("lane")] public string? Lane { get; set; }
        [JsonPropertyName("model")] public string? Model { get; set; }
        [JsonPropertyName("timeoutSeconds")] public int? TimeoutSeconds { get; set; }
        [JsonPropertyName("runId")] public string? RunId { get; set; }
        [JsonPropertyName("timeoutMs")] public int? TimeoutMs { get; set; }
    }
}

public sealed record RunView(
    string RunId, string SessionKey, string AgentId, string Lane, string Status, string? Model, long TimeoutMs, bool SenderIsOwner,
    string? Output, string? Error, string? WorkerDeviceId, string? RequesterSessionKey, string? SubagentDeviceId, long CreatedAtMs, long? StartedAtMs,
    long? EndedAtMs)
{
    public static RunView From(RunRecord r) => new(r.RunId, r.SessionKey, r.AgentId, r.Lane, r.Status, r.Model, r.TimeoutMs, r.SenderIsOwner,
        r.Output, r.Error, r.WorkerDeviceId, r.RequesterSessionKey, r.SubagentDeviceId, r.CreatedAt.ToUnixTimeMilliseconds(),
        r.StartedAt?.ToUnixTimeMilliseconds(), r.EndedAt?.ToUnixTimeMilliseconds());
}
