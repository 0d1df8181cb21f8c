using System.Text.Json.Serialization;
using FunctionsGateway.Core.Authorization;
using FunctionsGateway.Core.Methods;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Pairing;

/// <summary><c>device.pair.*</c> and <c>device.token.*</c> over the gateway (all need operator.pairing).</summary>
public sealed class PairingMethodHandler(
    PairingDecisions decisions,
    PairingPaging paging,
    DeviceTokenService tokens,
    DeviceRemoval removal,
    IDeviceStore devices) : IMethodHandler
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
                var list = context.Bind<ListParams>();
                var (page, badList) = await paging.ListAsync(context.Principal.IsAdmin ? null : context.Principal.DeviceId, list.Limit, list.Next, list.Details, cancellationToken);
                return badList ?? GatewayResponse.Success(page!);
            case GatewayMethods.DevicePairApprove:
                return await decisions.ApproveAsync(RequireRequestId(context), actor, cancellationToken);
            case GatewayMethods.DevicePairReject:
                return await decisions.RejectAsync(RequireRequestId(context), actor, cancellationToken);
        }

        var principal = context.Principal;
        var target = context.Bind<DeviceTarget>();
        var deviceId = string.IsNullOrEmpty(target.DeviceId) ? principal.DeviceId : target.DeviceId;
        if (!DeviceIdentity.IsDeviceId(deviceId))
        {
            throw new InvalidParamsException("deviceId must be 64 lowercase hex characters");
        }

        var role = target.Role ?? GatewayRoles.Name(principal.Role);
        if (!GatewayRoles.TryParse(role, out var parsedRole))
        {
            return GatewayResponse.Invalid("unauthorized role: " + role, DetailCodes.InvalidRole);
        }

        var self = deviceId == principal.DeviceId;
        if (!self && await MissingToManageAsync(principal, deviceId, parsedRole, cancellationToken) is { } refused)
        {
            return refused;
        }

        var caller = context.Call.ConnectionId;
        var (answer, reason) = context.Method switch
        {
            GatewayMethods.DevicePairRemove => (await removal.RemoveAsync(deviceId, actor, cancellationToken, caller), DeviceRemoval.RemovedCloseReason),
            GatewayMethods.DeviceTokenRotate => (await tokens.RotateAsync(deviceId, role, actor, cancellationToken, caller), DeviceTokenService.RotatedCloseReason),
            _ => (await tokens.RevokeAsync(deviceId, role, actor, cancellationToken, caller), DeviceTokenService.RevokedCloseReason),
        };

        // The caller's own connection was among those closed: it is closed after this answer reaches it.
        if (answer.Ok && self && (context.Method == GatewayMethods.DevicePairRemove || parsedRole == principal.Role))
        {
            context.CloseAfterReason = reason;
        }

        return answer;
    }

    /// <summary>
    /// Managing another device takes operator.pairing (the method's own scope) plus every scope that device holds; a
    /// node, which receives runs, their tasks and owner flags, takes operator.admin.
    /// </summary>
    private async Task<GatewayResponse?> MissingToManageAsync(GatewayPrincipal principal, string deviceId, GatewayRole role, CancellationToken cancellationToken)
    {
        var device = await devices.GetDeviceAsync(deviceId, cancellationToken);
        if (device is null)
        {
            return GatewayResponse.Invalid("device not found: " + deviceId, DetailCodes.DeviceNotFound);
        }

        var needed = OperatorScopes.FromStorage(device.Scopes);
        if (role == GatewayRole.Node || PairingGate.HasRole(device.Roles, GatewayRole.Node))
        {
            needed |= ScopeSet.Admin;
        }

        var missing = OperatorScopes.FirstMissing(principal.Scopes, needed);
        return missing == ScopeSet.None ? null : Denials.MissingScope(missing);
    }

    private static string RequireRequestId(MethodContext context)
    {
        var p = context.Bind<RequestTarget>();
        return string.IsNullOrWhiteSpace(p.RequestId)
            ? throw new InvalidParamsException("requestId is required (approve and reject take an exact request id)")
            : p.RequestId;
    }

    private sealed class ListParams
    {
        [JsonPropertyName("limit")] public int? Limit { get; set; }
        [JsonPropertyName("next")] public string? Next { get; set; }
        [JsonPropertyName("details")] public bool Details { get; set; }
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
