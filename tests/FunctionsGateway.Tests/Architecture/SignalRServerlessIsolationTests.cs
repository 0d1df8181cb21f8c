namespace FunctionsGateway.Tests.Architecture;

/// <summary>The Azure SignalR serverless wire stands alone: it knows nothing of the gateway, not even its wire types.</summary>
public sealed class SignalRServerlessIsolationTests
{
    internal static readonly string[] GatewayAssemblies = [.. SrcAssemblies.Names.Where(n => n != SrcAssemblies.SignalRServerless)];

    internal static readonly string[] GatewayNamespaces =
    [
        SrcAssemblies.Protocol, SrcAssemblies.Core, SrcAssemblies.Storage, SrcAssemblies.Hosting,
        "FunctionsGateway.Functions", SrcAssemblies.LocalHost, SrcAssemblies.Client, SrcAssemblies.Cli,
    ];

    [Fact]
    public void SignalR_serverless_references_no_gateway_assembly()
    {
        var violations = ArchitectureRules.ForbiddenAssemblyReferences(SrcAssemblies.Load(SrcAssemblies.SignalRServerless), GatewayAssemblies, []);

        ArchitectureRules.AssertNone("SignalR.Serverless must not reference Protocol, Core, Storage, Hosting or any other gateway assembly", violations);
    }

    [Fact]
    public void No_signalr_serverless_type_uses_a_gateway_type()
    {
        var violations = ArchitectureRules.ForbiddenTypeDependencies(SrcAssemblies.SignalRServerless, GatewayNamespaces, GatewayAssemblies, []);

        ArchitectureRules.AssertNone("No SignalR.Serverless type may use a Protocol, Core, Storage, Hosting or other gateway type", violations);
    }

    [Fact]
    public void The_signalr_serverless_checks_catch_the_gateway_uses_of_hosting()
    {
        // Hosting is built on the gateway: the same checks must see that.
        var references = ArchitectureRules.ForbiddenAssemblyReferences(SrcAssemblies.Load(SrcAssemblies.Hosting), GatewayAssemblies, []);
        var types = ArchitectureRules.ForbiddenTypeDependencies(SrcAssemblies.Hosting, GatewayNamespaces, GatewayAssemblies, []);

        Assert.Contains($"{SrcAssemblies.Hosting} references assembly {SrcAssemblies.Core}", references);
        Assert.Contains(types, v => v.Contains($"(from assembly {SrcAssemblies.Storage})", StringComparison.Ordinal));
    }
}
