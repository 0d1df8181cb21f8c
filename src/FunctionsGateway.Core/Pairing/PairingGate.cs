using FunctionsGateway.Core.Connections;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Pairing;

/// <summary>What a connecting device asks for, with platform and family already normalized.</summary>
public sealed record AccessRequest(
    string DeviceId,
    string PublicKey,
    GatewayRole Role,
    ScopeSet Scopes,
    string Platform,
    string DeviceFamily,
    string ClientId,
    string ClientMode);

public enum GateVerdictKind
{
    Pass,
    SilentFirstPairing,
    RequiresApproval,
}

public readonly record struct GateVerdict(GateVerdictKind Kind, string? Reason = null)
{
    public static GateVerdict Pass => new(GateVerdictKind.Pass);
}

/// <summary>The pairing gate (docs/protocol.md §4), pure so every rule is unit-testable without storage.</summary>
public static class PairingGate
{
    public static GateVerdict Evaluate(DeviceSnapshot snapshot, AccessRequest request, CallOrigin origin)
    {
        var device = snapshot.Device;
        if (device is null || !string.Equals(device.PublicKey, request.PublicKey, StringComparison.Ordinal))
        {
            // Silent only for an identity our own code registered, calling in-process, pairing for the first time.
            var silent = device is null
                && origin == CallOrigin.Internal
                && snapshot.Internal is not null;
            return silent
                ? new GateVerdict(GateVerdictKind.SilentFirstPairing, PairingReasons.NotPaired)
                : new GateVerdict(GateVerdictKind.RequiresApproval, PairingReasons.NotPaired);
        }

        // An omitted value keeps the stored one; only a different non-empty value is a change.
        if (Changed(device.Platform, request.Platform) || Changed(device.DeviceFamily, request.DeviceFamily))
        {
            return new GateVerdict(GateVerdictKind.RequiresApproval, PairingReasons.MetadataUpgrade);
        }

        if (!HasRole(device.Roles, request.Role))
        {
            return new GateVerdict(GateVerdictKind.RequiresApproval, PairingReasons.RoleUpgrade);
        }

        var baseline = OperatorScopes.FromStorage(device.Scopes);
        return OperatorScopes.Satisfies(baseline, request.Scopes)
            ? GateVerdict.Pass
            : new GateVerdict(GateVerdictKind.RequiresApproval, PairingReasons.ScopeUpgrade);
    }

    /// <summary>Platform and family pin a device: a different non-empty value needs approval; an omitted one does not.</summary>
    public static bool Changed(string stored, string asked) => asked.Length > 0 && !string.Equals(stored, asked, StringComparison.Ordinal);

    /// <summary>What an approval stores: the asked value, or the stored one when the request omitted it.</summary>
    public static string Pinned(string stored, string asked) => asked.Length > 0 ? asked : stored;

    public static bool HasRole(string storedRoles, GatewayRole role)
    {
        var name = GatewayRoles.Name(role);
        foreach (var part in storedRoles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (part == name)
            {
                return true;
            }
        }

        return false;
    }

    public static string AddRole(string storedRoles, GatewayRole role)
        => HasRole(storedRoles, role) ? storedRoles
            : string.IsNullOrEmpty(storedRoles) ? GatewayRoles.Name(role) : storedRoles + "," + GatewayRoles.Name(role);
}
