using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Tests.Pairing;

public sealed class PairingGateTests
{
    private static readonly DeviceRecord PairedAtRead = new()
    {
        DeviceId = "dev", PublicKey = "pk", Roles = "operator", Scopes = OperatorScopes.Read,
        Platform = "linux", DeviceFamily = "",
    };

    private static AccessRequest Ask(ScopeSet scopes, GatewayRole role = GatewayRole.Operator, string platform = "linux", string key = "pk")
        => new("dev", key, role, scopes, platform, "", "cli", "cli");

    public static TheoryData<string, ScopeSet, GatewayRole, string, string, GateVerdictKind, string?> Cases => new()
    {
        { "within baseline", ScopeSet.Read, GatewayRole.Operator, "linux", "pk", GateVerdictKind.Pass, null },
        { "nothing asked", ScopeSet.None, GatewayRole.Operator, "linux", "pk", GateVerdictKind.Pass, null },
        { "scope upgrade", ScopeSet.Admin, GatewayRole.Operator, "linux", "pk", GateVerdictKind.RequiresApproval, PairingReasons.ScopeUpgrade },
        { "write over read", ScopeSet.Write, GatewayRole.Operator, "linux", "pk", GateVerdictKind.RequiresApproval, PairingReasons.ScopeUpgrade },
        { "role upgrade", ScopeSet.None, GatewayRole.Node, "linux", "pk", GateVerdictKind.RequiresApproval, PairingReasons.RoleUpgrade },
        { "metadata upgrade", ScopeSet.Read, GatewayRole.Operator, "windows", "pk", GateVerdictKind.RequiresApproval, PairingReasons.MetadataUpgrade },
        { "changed key", ScopeSet.Read, GatewayRole.Operator, "linux", "other", GateVerdictKind.RequiresApproval, PairingReasons.NotPaired },
        { "omitted platform keeps the stored one", ScopeSet.Read, GatewayRole.Operator, "", "pk", GateVerdictKind.Pass, null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_paired_device_passes_only_within_its_baseline(string name, ScopeSet scopes, GatewayRole role, string platform, string key, GateVerdictKind kind, string? reason)
    {
        foreach (var origin in new[] { CallOrigin.Network, CallOrigin.Internal })
        {
            // An internal marker never turns an upgrade silent.
            var snapshot = new DeviceSnapshot(PairedAtRead, null, new InternalIdentityRecord());
            var verdict = PairingGate.Evaluate(snapshot, Ask(scopes, role, platform, key), origin);
            Assert.True(kind == verdict.Kind, $"{name} ({origin}): {verdict.Kind}");
            Assert.Equal(reason, verdict.Reason);
        }
    }

    [Theory]
    [InlineData(CallOrigin.Internal, true, GateVerdictKind.SilentFirstPairing)]
    [InlineData(CallOrigin.Internal, false, GateVerdictKind.RequiresApproval)]
    [InlineData(CallOrigin.Network, true, GateVerdictKind.RequiresApproval)]
    [InlineData(CallOrigin.Network, false, GateVerdictKind.RequiresApproval)]
    public void Only_an_internal_identity_calling_in_process_pairs_silently_the_first_time(CallOrigin origin, bool registered, GateVerdictKind expected)
    {
        var snapshot = new DeviceSnapshot(null, null, registered ? new InternalIdentityRecord() : null);
        var verdict = PairingGate.Evaluate(snapshot, Ask(ScopeSet.Admin), origin);
        Assert.Equal(expected, verdict.Kind);
        Assert.Equal(PairingReasons.NotPaired, verdict.Reason);
    }

    [Theory]
    [InlineData("linux", "", false)]
    [InlineData("linux", "linux", false)]
    [InlineData("linux", "windows", true)]
    [InlineData("", "linux", true)]
    public void Only_a_different_non_empty_platform_is_a_metadata_change(string stored, string asked, bool changed)
        => Assert.Equal(changed, PairingGate.Changed(stored, asked));
}
