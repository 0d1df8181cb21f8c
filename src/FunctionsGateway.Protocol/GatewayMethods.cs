using System.Collections.Frozen;

namespace FunctionsGateway.Protocol;

public enum MethodAccess : byte
{
    /// <summary>Not in the table: default deny (operator.admin), answered "unknown method" once authorized.</summary>
    Unclassified = 0,
    Always,
    Admission,
    Scoped,
    NodeOnly,
}

public readonly record struct MethodRule(MethodAccess Access, ScopeSet Scope);

/// <summary>The single method → minimum scope table (docs/protocol.md §2). Everything that authorizes reads this.</summary>
public static class GatewayMethods
{
    public const string Health = "health";
    public const string ConnectChallenge = "connect.challenge";
    public const string Connect = "connect";

    public const string Status = "status";
    public const string SessionsList = "sessions.list";
    public const string SessionsGet = "sessions.get";
    public const string SessionsSubscribe = "sessions.subscribe";
    public const string SessionsUnsubscribe = "sessions.unsubscribe";
    public const string ChatHistory = "chat.history";
    public const string RunsGet = "runs.get";
    public const string NodesList = "nodes.list";
    public const string ConfigGet = "config.get";

    public const string Agent = "agent";
    public const string AgentWait = "agent.wait";
    public const string ChatSend = "chat.send";
    public const string ChatAbort = "chat.abort";
    public const string SessionsSpawn = "sessions.spawn";

    public const string SessionsPatch = "sessions.patch";
    public const string SessionsReset = "sessions.reset";
    public const string SessionsDelete = "sessions.delete";
    public const string AuditList = "audit.list";

    public const string DevicePairList = "device.pair.list";
    public const string DevicePairApprove = "device.pair.approve";
    public const string DevicePairReject = "device.pair.reject";
    public const string DevicePairRemove = "device.pair.remove";
    public const string DeviceTokenRotate = "device.token.rotate";
    public const string DeviceTokenRevoke = "device.token.revoke";

    public const string ExecApprovalRequest = "exec.approval.request";
    public const string ExecApprovalList = "exec.approval.list";
    public const string ExecApprovalResolve = "exec.approval.resolve";

    public const string NodeEvent = "node.event";
    public const string NodeInvokeResult = "node.invoke.result";

    /// <summary>Every <c>config.*</c> method other than <c>config.get</c> is admin-only.</summary>
    public const string AdminPrefix = "config.";

    private static readonly FrozenDictionary<string, MethodRule> Rules = Build();

    private static FrozenDictionary<string, MethodRule> Build()
    {
        var rules = new Dictionary<string, MethodRule>(StringComparer.Ordinal)
        {
            [Health] = new(MethodAccess.Always, ScopeSet.None),
            [ConnectChallenge] = new(MethodAccess.Admission, ScopeSet.None),
            [Connect] = new(MethodAccess.Admission, ScopeSet.None),
            [NodeEvent] = new(MethodAccess.NodeOnly, ScopeSet.None),
            [NodeInvokeResult] = new(MethodAccess.NodeOnly, ScopeSet.None),
        };

        void Add(ScopeSet scope, params string[] methods)
        {
            foreach (var method in methods)
            {
                rules.Add(method, new MethodRule(MethodAccess.Scoped, scope));
            }
        }

        Add(ScopeSet.Read, Status, SessionsList, SessionsGet, SessionsSubscribe, SessionsUnsubscribe, ChatHistory, RunsGet, NodesList, ConfigGet);
        Add(ScopeSet.Write, Agent, AgentWait, ChatSend, ChatAbort, SessionsSpawn);
        Add(ScopeSet.Admin, SessionsPatch, SessionsReset, SessionsDelete, AuditList);
        Add(ScopeSet.Pairing, DevicePairList, DevicePairApprove, DevicePairReject, DevicePairRemove, DeviceTokenRotate, DeviceTokenRevoke);
        Add(ScopeSet.Approvals, ExecApprovalRequest, ExecApprovalList, ExecApprovalResolve);
        return rules.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>
    /// What an internal sub-agent identity may call at all (docs/protocol.md §5.4: its admin scope reaches only its own child
    /// session): never pairing, tokens, audit or configuration, whatever its scopes.
    /// </summary>
    public static readonly FrozenSet<string> InternalIdentityMethods = new[]
    {
        Health, Status, SessionsList, SessionsGet, SessionsSubscribe, SessionsUnsubscribe, SessionsPatch, SessionsReset, SessionsDelete,
        SessionsSpawn, ChatHistory, ChatSend, ChatAbort, RunsGet, Agent, AgentWait,
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The classified methods, for hello-ok discovery and table-driven tests.</summary>
    public static IEnumerable<KeyValuePair<string, MethodRule>> Table => Rules;

    public static MethodRule Resolve(string method)
    {
        if (Rules.TryGetValue(method, out var rule))
        {
            return rule;
        }

        return method.StartsWith(AdminPrefix, StringComparison.Ordinal)
            ? new MethodRule(MethodAccess.Scoped, ScopeSet.Admin)
            : new MethodRule(MethodAccess.Unclassified, ScopeSet.Admin);
    }

    /// <summary>The least-privilege scope an internal caller should name for <paramref name="method"/>.</summary>
    public static ScopeSet LeastPrivilege(string method)
    {
        var rule = Resolve(method);
        return rule.Access is MethodAccess.Scoped or MethodAccess.Unclassified ? rule.Scope : ScopeSet.None;
    }
}
