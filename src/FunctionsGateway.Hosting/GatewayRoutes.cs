namespace FunctionsGateway.Hosting;

/// <summary>HTTP routes under the <c>api/</c> prefix, shared by the Function attributes and the local host.</summary>
public static class GatewayRoutes
{
    public const string Prefix = "api";
    public const string Negotiate = "negotiate";
    public const string Upstream = "signalr/upstream";
    public const string AdminPairingList = AdminPairingEndpoint.ListRoute;
    public const string AdminPairingApprove = AdminPairingEndpoint.ApproveRoute;
    public const string AdminPairingReject = AdminPairingEndpoint.RejectRoute;

    /// <summary><c>GET /api/console</c> (the page) and <c>GET /api/console/{asset}</c> (its files).</summary>
    public const string Console = "console";
    public const string ConsoleAsset = Console + "/{" + ConsoleEndpoint.AssetParameter + "?}";
}
