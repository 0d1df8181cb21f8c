using System.Text.Json.Serialization;
using FunctionsGateway.Core.Authorization;
using FunctionsGateway.Core.Methods;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Pairing;

/// <summary><c>device.pair.*</c> and <c>device.token.*</c> over the gateway (all need operator.pairing).</summary>
public sealed class PairingMethodHandler(
    PairingRequests requests,
    PairingDecisions decisions,
    DeviceDirectory directory,
    DeviceTokenService tokens,
    DeviceRemoval removal) : IMethodHandler
{
    public IReadOnlyCollection<string> Methods { get; } =
    [
        GatewayMethods.DevicePairList, GatewayMethods.DevicePairApprove, GatewayMethods.DevicePairReject,
        GatewayMethods.DevicePairRemove, GatewayMethods.DeviceTokenRotate, GatewayMethods.DeviceTokenRevoke,
    ];

    public async Task<GatewayResponse> HandleAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var actor = PairingActor.From(context.Principal);
        switch (context.Method)
        {
            case GatewayMethods.DevicePairList:
                var pending = await requests.ListAsync(null, cancellationToken);
                var paired = await directory.ListAsync(context.Principal.IsAdmin ? null : context.Principal.DeviceId, cancellationToken);
                return GatewayResponse.Success(new { pending, paired });
            case GatewayMethods.DevicePairApprove:
                return await decisions.ApproveAsync(RequireRequestId(context), actor, cancellationToken);
            case GatewayMethods.DevicePairReject:
                return await decisions.RejectAsync(RequireRequestId(context), actor, cancellationToken);
        }

        var target = context.Bind<DeviceTarget>();
        var deviceId = string.IsNullOrEmpty(target.DeviceId) ? context.Principal.DeviceId : target.DeviceId;

        // Without admin, a device manages only itself.
        if (deviceId != context.Principal.DeviceId && !context.Principal.IsAdmin)
        {
            return Denials.MissingScope(ScopeSet.Admin);
        }

        var role = target.Role ?? GatewayRoles.Name(context.Principal.Role);
        if (!GatewayRoles.TryParse(role, out _))
        {
            return GatewayResponse.Invalid("unauthorized role: " + role, DetailCodes.InvalidRole);
        }

        return context.Method switch
        {
            GatewayMethods.DevicePairRemove => await removal.RemoveAsync(deviceId, actor, cancellationToken),
            GatewayMethods.DeviceTokenRotate => await tokens.RotateAsync(deviceId, role, actor, cancellationToken),
            _ => await tokens.RevokeAsync(deviceId, role, actor, cancellationToken),
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
