using FunctionsGateway.Core.Methods;
using FunctionsGateway.Core.Options;
using Microsoft.Extensions.Options;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Dispatch;

public sealed class StatusMethodHandler(IOptions<GatewayOptions> options, TimeProvider time) : IMethodHandler
{
    public IReadOnlyCollection<string> Methods { get; } = [GatewayMethods.Status];

    public Task<GatewayResponse> HandleAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var p = context.Principal;
        return Task.FromResult(GatewayResponse.Success(new
        {
            server = new { version = options.Value.ServerVersion, protocol = GatewayProtocol.Version },
            connection = new
            {
                connectionId = p.ConnectionId,
                deviceId = p.DeviceId,
                role = GatewayRoles.Name(p.Role),
                scopes = OperatorScopes.ToNames(p.Scopes),
            },
            ts = time.GetUtcNow().ToUnixTimeMilliseconds(),
        }));
    }
}
