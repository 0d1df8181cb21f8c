using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Authorization;

public enum AuthorizationOutcome : byte
{
    Allowed,
    MissingScope,
    UnauthorizedRole,
    AdmissionOnly,
}

public readonly record struct AuthorizationDecision(AuthorizationOutcome Outcome, ScopeSet MissingScope = ScopeSet.None)
{
    public bool IsAllowed => Outcome == AuthorizationOutcome.Allowed;
}

/// <summary>Per-request authorization of an admitted connection (docs/protocol.md §2). Pure and allocation-free.</summary>
public static class MethodAuthorizer
{
    public static AuthorizationDecision Authorize(GatewayRole role, ScopeSet scopes, string method)
        => Authorize(role, scopes, GatewayMethods.Resolve(method));

    public static AuthorizationDecision Authorize(GatewayRole role, ScopeSet scopes, MethodRule rule)
    {
        switch (rule.Access)
        {
            case MethodAccess.Always:
                return new(AuthorizationOutcome.Allowed);
            case MethodAccess.Admission:
                // connect and connect.challenge are admission; once admitted they are refused.
                return new(AuthorizationOutcome.AdmissionOnly);
            case MethodAccess.NodeOnly:
                return role == GatewayRole.Node
                    ? new(AuthorizationOutcome.Allowed)
                    : new(AuthorizationOutcome.UnauthorizedRole);
        }

        // Scoped and unclassified methods are operator-only; a node may call only node methods and health.
        if (role != GatewayRole.Operator)
        {
            return new(AuthorizationOutcome.UnauthorizedRole);
        }

        return OperatorScopes.Satisfies(scopes, rule.Scope)
            ? new(AuthorizationOutcome.Allowed)
            : new(AuthorizationOutcome.MissingScope, OperatorScopes.FirstMissing(scopes, rule.Scope));
    }
}
