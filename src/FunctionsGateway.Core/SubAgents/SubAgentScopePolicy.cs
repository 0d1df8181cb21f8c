using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.SubAgents;

/// <summary>Which scopes a sub-agent identity asks for: at its first admission, and on the connection each call uses.</summary>
public interface ISubAgentScopePolicy
{
    ScopeSet FirstAdmission { get; }

    ScopeSet For(string method);
}

/// <summary>
/// The design: the identity pairs at the ceiling (operator.admin) on its first, silent admission, so no later call is
/// an upgrade; each call still names least privilege, so <c>agent</c> runs with operator.write and the sub-agent is never
/// treated as the owner.
/// </summary>
public sealed class SubAgentScopePolicy : ISubAgentScopePolicy
{
    public ScopeSet FirstAdmission => ScopeSet.Admin;

    public ScopeSet For(string method) => method switch
    {
        GatewayMethods.SessionsPatch or GatewayMethods.SessionsDelete or GatewayMethods.SessionsReset => ScopeSet.Admin,
        _ => GatewayMethods.LeastPrivilege(method),
    };
}
