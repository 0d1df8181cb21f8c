using FunctionsGateway.Core.Methods;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Pairing;

/// <summary>Who decides: a device over the gateway (with its connection's scopes) or the admin HTTP API.</summary>
public sealed record PairingActor(string Name, string? DeviceId, ScopeSet Scopes)
{
    public static PairingActor AdminApi { get; } = new("admin-api", null, ScopeSet.Admin);

    public static PairingActor Device(string deviceId, ScopeSet scopes) => new("device:" + deviceId, deviceId, scopes);

    public static PairingActor System(string name) => new("system:" + name, null, ScopeSet.Admin);

    public static PairingActor From(GatewayPrincipal principal) => Device(principal.DeviceId, principal.Scopes);

    public bool IsAdmin => (Scopes & ScopeSet.Admin) != 0;
}

public sealed record PendingRequestView(
    string RequestId, string DeviceId, string Reason, string Role, string[] RequestedScopes, string[] ApprovedScopes,
    string ClientId, string Platform, long CreatedAtMs, long ExpiresAtMs)
{
    public static PendingRequestView From(PendingRequestRecord pending) => new(
        pending.RequestId, pending.DeviceId, pending.Reason, pending.Role,
        OperatorScopes.ToNames(OperatorScopes.FromStorage(pending.RequestedScopes)),
        OperatorScopes.ToNames(OperatorScopes.FromStorage(pending.ApprovedScopes)),
        pending.ClientId, pending.Platform, pending.CreatedAt.ToUnixTimeMilliseconds(), pending.ExpiresAt.ToUnixTimeMilliseconds());
}

public sealed record PairedDeviceView(
    string DeviceId, string[] Roles, string[] Scopes, string ClientId, string Platform, string DeviceFamily, bool Internal, long PairedAtMs)
{
    public static PairedDeviceView From(DeviceRecord d) => new(d.DeviceId,
        d.Roles.Split(',', StringSplitOptions.RemoveEmptyEntries),
        OperatorScopes.ToNames(OperatorScopes.FromStorage(d.Scopes)),
        d.ClientId, d.Platform, d.DeviceFamily, d.IsInternal, d.PairedAt.ToUnixTimeMilliseconds());
}
