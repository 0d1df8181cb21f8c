namespace FunctionsGateway.Protocol;

public enum GatewayRole
{
    Operator = 1,
    Node = 2,
}

public static class GatewayRoles
{
    public const string Operator = "operator";
    public const string Node = "node";

    public static bool TryParse(string? value, out GatewayRole role)
    {
        switch (value)
        {
            case Operator:
                role = GatewayRole.Operator;
                return true;
            case Node:
                role = GatewayRole.Node;
                return true;
            default:
                role = default;
                return false;
        }
    }

    public static string Name(GatewayRole role) => role switch
    {
        GatewayRole.Operator => Operator,
        GatewayRole.Node => Node,
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };
}
