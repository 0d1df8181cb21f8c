namespace FunctionsGateway.Core.Transport;

/// <summary>HTTP routes under the <c>api/</c> prefix, shared by the Function attributes and the local host.</summary>
public static class GatewayRoutes
{
    public const string Prefix = "api";
    public const string Negotiate = "negotiate";
    public const string Upstream = "signalr/upstream";
    public const string AdminPairingList = AdminPairingHandler.ListRoute;
    public const string AdminPairingApprove = AdminPairingHandler.ApproveRoute;
    public const string AdminPairingReject = AdminPairingHandler.RejectRoute;
}
