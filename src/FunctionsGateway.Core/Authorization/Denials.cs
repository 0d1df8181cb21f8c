using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Authorization;

/// <summary>The one shape of a scope denial, wherever it is decided (dispatch, approvals, device management).</summary>
public static class Denials
{
    public static GatewayResponse MissingScope(ScopeSet scope)
        => GatewayResponse.Invalid("missing scope: " + OperatorScopes.Name(scope), DetailCodes.MissingScope, new { scope = OperatorScopes.Name(scope) });
}
