using System.Text.Json.Serialization;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Dispatch.Handlers;

/// <summary><c>device.pair.*</c> and <c>device.token.*</c> over the gateway (all need operator.pairing).</summary>
public sealed class PairingHandler(PairingService pairing) : IGatewayMethodHandler
{
    public IReadOnlyCollection<string> Methods { get; } =
    [
        GatewayMethods.DevicePairList, GatewayMethods.DevicePairApprove, GatewayMethods.DevicePairReject,
        GatewayMethods.DevicePairRemove, GatewayMethods.DeviceTokenRotate, GatewayMethods.DeviceTokenRevoke,
    ];

    public async Task<GatewayResponse> HandleAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var actor = context.Principal.AsActor();
        switch (context.Method)
        {
            case GatewayMethods.DevicePairList:
                var pending = await pairing.ListPendingAsync(null, cancellationToken);
                var paired = await pairing.ListPairedAsync(context.Principal.IsAdmin ? null : context.Principal.DeviceId, cancellationToken);
                return GatewayResponse.Success(new { pending, paired });
            case GatewayMethods.DevicePairApprove:
                return await pairing.ApproveAsync(RequireRequestId(context), actor, cancellationToken);
            case GatewayMethods.DevicePairReject:
                return await pairing.RejectAsync(RequireRequestId(context), actor, cancellationToken);
        }

        var target = context.Bind<DeviceTarget>();
        var deviceId = string.IsNullOrEmpty(target.DeviceId) ? context.Principal.DeviceId : target.DeviceId;

        // Without admin, a device manages only itself.
        if (deviceId != context.Principal.DeviceId && !context.Principal.IsAdmin)
        {
            return PairingService.MissingScope(ScopeSet.Admin);
        }

        var role = target.Role ?? GatewayRoles.Name(context.Principal.Role);
        if (!GatewayRoles.TryParse(role, out _))
        {
            return GatewayResponse.Invalid("unauthorized role: " + role, DetailCodes.InvalidRole);
        }

        return context.Method switch
        {
            GatewayMethods.DevicePairRemove => await pairing.RemoveDeviceAsync(deviceId, actor, cancellationToken),
            GatewayMethods.DeviceTokenRotate => await pairing.RotateTokenAsync(deviceId, role, actor, cancellationToken),
            _ => await pairing.RevokeTokenAsync(deviceId, role, actor, cancellationToken),
        };
    }

    private static string RequireRequestId(MethodContext context)
    {
        var p = context.Bind<RequestTarget>();
        return string.IsNullOrWhiteSpace(p.RequestId)
            ? throw new InvalidParamsException("requestId is required (approve and reject take an exact request id)")
            : p.RequestId;
    }

    private sealed class RequestTarget
    {
        [JsonPropertyName("requestId")] public string? RequestId { get; set; }
    }

    private sealed class DeviceTarget
    {
        [JsonPropertyName("deviceId")] public string? DeviceId { get; set; }
        [JsonPropertyName("role")] public string? Role { get; set; }
    }
}
