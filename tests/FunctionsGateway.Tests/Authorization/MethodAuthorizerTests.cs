using FunctionsGateway.Core.Authorization;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Tests.Authorization;

public sealed class MethodAuthorizerTests
{
    /// <summary>docs/protocol.md §2, written out independently of the production table so a change to either shows up here.</summary>
    private static readonly Dictionary<string, string> Design = new()
    {
        ["health"] = "always",
        ["status"] = OperatorScopes.Read, ["sessions.list"] = OperatorScopes.Read, ["sessions.get"] = OperatorScopes.Read,
        ["sessions.subscribe"] = OperatorScopes.Read, ["sessions.unsubscribe"] = OperatorScopes.Read, ["chat.history"] = OperatorScopes.Read, ["runs.get"] = OperatorScopes.Read,
        ["nodes.list"] = OperatorScopes.Read, ["config.get"] = OperatorScopes.Read,
        ["agent"] = OperatorScopes.Write, ["agent.wait"] = OperatorScopes.Write, ["chat.send"] = OperatorScopes.Write,
        ["chat.abort"] = OperatorScopes.Write, ["sessions.spawn"] = OperatorScopes.Write,
        ["sessions.patch"] = OperatorScopes.Admin, ["sessions.reset"] = OperatorScopes.Admin, ["sessions.delete"] = OperatorScopes.Admin,
        ["audit.list"] = OperatorScopes.Admin, ["config.set"] = OperatorScopes.Admin, ["config.apply"] = OperatorScopes.Admin,
        ["device.pair.list"] = OperatorScopes.Pairing, ["device.pair.approve"] = OperatorScopes.Pairing, ["device.pair.reject"] = OperatorScopes.Pairing,
        ["device.pair.remove"] = OperatorScopes.Pairing, ["device.token.rotate"] = OperatorScopes.Pairing, ["device.token.revoke"] = OperatorScopes.Pairing,
        ["exec.approval.request"] = OperatorScopes.Approvals, ["exec.approval.list"] = OperatorScopes.Approvals, ["exec.approval.resolve"] = OperatorScopes.Approvals,
        ["node.event"] = "node", ["node.invoke.result"] = "node",
        ["connect"] = "handshake", ["connect.challenge"] = "handshake",
        ["no.such.method"] = OperatorScopes.Admin, ["sessions.steal"] = OperatorScopes.Admin, [""] = OperatorScopes.Admin,
    };

    public static IEnumerable<object[]> EveryMethodAndRole()
    {
        foreach (var method in Design.Keys)
        {
            foreach (var role in new[] { GatewayRole.Operator, GatewayRole.Node })
            {
                yield return [method, role];
            }
        }
    }

    [Fact]
    public void The_production_table_classifies_exactly_the_design_methods()
    {
        var classified = GatewayMethods.Table.Select(p => p.Key).Order(StringComparer.Ordinal).ToArray();
        var designed = Design.Where(p => p.Key is not ("no.such.method" or "sessions.steal" or "" or "config.set" or "config.apply"))
            .Select(p => p.Key).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(designed, classified);
    }

    [Theory]
    [MemberData(nameof(EveryMethodAndRole))]
    public void Every_method_is_authorized_exactly_as_the_design_table_says_for_every_scope_set(string method, GatewayRole role)
    {
        for (var mask = 0; mask < 32; mask++)
        {
            AssertDecision(method, role, (ScopeSet)mask);
        }
    }

    private static void AssertDecision(string method, GatewayRole role, ScopeSet scopes)
    {
        var decision = MethodAuthorizer.Authorize(role, scopes, method);
        var rule = Design[method];

        var expected = rule switch
        {
            "always" => AuthorizationOutcome.Allowed,
            "handshake" => AuthorizationOutcome.AdmissionOnly,
            "node" => role == GatewayRole.Node ? AuthorizationOutcome.Allowed : AuthorizationOutcome.UnauthorizedRole,
            _ when role == GatewayRole.Node => AuthorizationOutcome.UnauthorizedRole,
            _ => Holds(scopes, rule) ? AuthorizationOutcome.Allowed : AuthorizationOutcome.MissingScope,
        };

        Assert.True(expected == decision.Outcome, $"{method} as {role} with [{scopes}]: expected {expected}, got {decision.Outcome}");
        if (expected == AuthorizationOutcome.MissingScope)
        {
            Assert.Equal(rule, OperatorScopes.Name(decision.MissingScope));
        }
    }

    [Fact]
    public void A_non_admin_learns_only_that_admin_is_missing_for_an_unknown_method()
    {
        var decision = MethodAuthorizer.Authorize(GatewayRole.Operator, ScopeSet.Write | ScopeSet.Read | ScopeSet.Pairing | ScopeSet.Approvals, "secret.method");
        Assert.Equal(AuthorizationOutcome.MissingScope, decision.Outcome);
        Assert.Equal(ScopeSet.Admin, decision.MissingScope);
        Assert.True(MethodAuthorizer.Authorize(GatewayRole.Operator, ScopeSet.Admin, "secret.method").IsAllowed);
    }

    [Fact]
    public void The_least_privilege_scope_of_admin_only_methods_is_admin_and_of_agent_is_write()
    {
        Assert.Equal(ScopeSet.Admin, GatewayMethods.LeastPrivilege(GatewayMethods.SessionsPatch));
        Assert.Equal(ScopeSet.Admin, GatewayMethods.LeastPrivilege(GatewayMethods.SessionsDelete));
        Assert.Equal(ScopeSet.Write, GatewayMethods.LeastPrivilege(GatewayMethods.Agent));
    }

    private static bool Holds(ScopeSet held, string required)
    {
        // Written from the prose of docs/protocol.md §2 rather than by calling OperatorScopes.Satisfies.
        if (held.HasFlag(ScopeSet.Admin))
        {
            return true;
        }

        return required switch
        {
            OperatorScopes.Read => held.HasFlag(ScopeSet.Read) || held.HasFlag(ScopeSet.Write),
            OperatorScopes.Write => held.HasFlag(ScopeSet.Write),
            OperatorScopes.Approvals => held.HasFlag(ScopeSet.Approvals),
            OperatorScopes.Pairing => held.HasFlag(ScopeSet.Pairing),
            _ => false,
        };
    }
}
