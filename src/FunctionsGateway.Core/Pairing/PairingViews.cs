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

/// <summary>
/// A paired device as the lists show it: its baseline, its tokens' state (never a token), how many connections it holds
/// and when it was last admitted (<c>lastUsedAtMs</c>, stamped by the connect's own device batch).
/// </summary>
public sealed record PairedDeviceView(
    string DeviceId, string[] Roles, string[] Scopes, string ClientId, string Platform, string DeviceFamily, bool Internal, long PairedAtMs,
    long? LastUsedAtMs = null, IReadOnlyList<DeviceTokenView>? Tokens = null, int? Connections = null)
{
    public static PairedDeviceView From(DeviceRecord d) => new(d.DeviceId,
        d.Roles.Split(',', StringSplitOptions.RemoveEmptyEntries),
        OperatorScopes.ToNames(OperatorScopes.FromStorage(d.Scopes)),
        d.ClientId, d.Platform, d.DeviceFamily, d.IsInternal, d.PairedAt.ToUnixTimeMilliseconds());

    /// <summary>From every row of the device's partition: the device row itself, its tokens and its connection index.</summary>
    public static PairedDeviceView From(DeviceRecord d, DeviceRowSet rows) => From(d) with
    {
        LastUsedAtMs = d.LastSeenAt?.ToUnixTimeMilliseconds(),
        Tokens = [.. rows.Tokens.OrderBy(t => t.Role, StringComparer.Ordinal).Select(DeviceTokenView.From)],
        Connections = rows.Connections.Count,
    };
}

/// <summary>One role's token: <c>active</c>, <c>pending</c> (minted at the device's next connect) or <c>revoked</c>.</summary>
public sealed record DeviceTokenView(string Role, string State, string[] Scopes, long CreatedAtMs, long? RotatedAtMs, long? RevokedAtMs)
{
    public const string Active = "active";
    public const string Pending = "pending";
    public const string Revoked = "revoked";

    public static DeviceTokenView From(DeviceTokenRecord t) => new(t.Role,
        t.RevokedAt is not null ? Revoked : t.TokenHash is null ? Pending : Active,
        OperatorScopes.ToNames(OperatorScopes.FromStorage(t.Scopes)),
        t.CreatedAt.ToUnixTimeMilliseconds(), t.RotatedAt?.ToUnixTimeMilliseconds(), t.RevokedAt?.ToUnixTimeMilliseconds());
}
