using FunctionsGateway.Protocol;

namespace FunctionsGateway.Tests.Protocol;

public sealed class OperatorScopesTests
{
    [Theory]
    [InlineData(ScopeSet.Admin, ScopeSet.Write | ScopeSet.Read | ScopeSet.Approvals | ScopeSet.Pairing, true)]
    [InlineData(ScopeSet.Write, ScopeSet.Read, true)]
    [InlineData(ScopeSet.Write, ScopeSet.Write | ScopeSet.Read, true)]
    [InlineData(ScopeSet.Read, ScopeSet.Write, false)]
    [InlineData(ScopeSet.Write, ScopeSet.Approvals, false)]
    [InlineData(ScopeSet.Write, ScopeSet.Pairing, false)]
    [InlineData(ScopeSet.Read, ScopeSet.Pairing, false)]
    [InlineData(ScopeSet.Pairing, ScopeSet.Read, false)]
    [InlineData(ScopeSet.Approvals, ScopeSet.Pairing, false)]
    [InlineData(ScopeSet.Pairing | ScopeSet.Approvals | ScopeSet.Write, ScopeSet.Admin, false)]
    [InlineData(ScopeSet.None, ScopeSet.None, true)]
    [InlineData(ScopeSet.None, ScopeSet.Read, false)]
    public void Implication_rules_hold(ScopeSet held, ScopeSet required, bool satisfied)
        => Assert.Equal(satisfied, OperatorScopes.Satisfies(held, required));

    [Fact]
    public void Unknown_scope_names_are_reported_not_dropped()
    {
        Assert.False(OperatorScopes.TryParseAll(["operator.read", "operator.root"], out _, out var unknown));
        Assert.Equal("operator.root", unknown);
        Assert.True(OperatorScopes.TryParseAll(["operator.write", "operator.read"], out var set, out _));
        Assert.Equal(ScopeSet.Write | ScopeSet.Read, set);
    }

    [Fact]
    public void Storage_form_round_trips_in_canonical_order()
    {
        var set = ScopeSet.Write | ScopeSet.Pairing | ScopeSet.Read;
        Assert.Equal("operator.pairing,operator.read,operator.write", OperatorScopes.ToStorage(set));
        Assert.Equal(set, OperatorScopes.FromStorage(OperatorScopes.ToStorage(set)));
    }

    [Fact]
    public void The_first_missing_scope_is_the_one_named_in_the_denial()
    {
        Assert.Equal(ScopeSet.Admin, OperatorScopes.FirstMissing(ScopeSet.Read, ScopeSet.Admin));
        Assert.Equal(ScopeSet.Pairing, OperatorScopes.FirstMissing(ScopeSet.Write, ScopeSet.Pairing | ScopeSet.Read));
        Assert.Equal(ScopeSet.None, OperatorScopes.FirstMissing(ScopeSet.Admin, ScopeSet.Pairing | ScopeSet.Read));
    }
}
