namespace FunctionsGateway.Tests.Architecture;

/// <summary>
/// Core makes decisions only: it knows no web framework, no Azure SDK, and none of the assemblies that carry its
/// decisions to the wire, to storage or to a host.
/// </summary>
public sealed class CoreIsolationTests
{
    /// <summary>Assemblies Core must not reference, by name.</summary>
    internal static readonly string[] ForbiddenAssemblies =
    [
        SrcAssemblies.SignalRServerless, SrcAssemblies.Storage, SrcAssemblies.Hosting,
        SrcAssemblies.FunctionApp, SrcAssemblies.LocalHost, SrcAssemblies.Client, SrcAssemblies.Cli,
    ];

    /// <summary>ASP.NET Core, every Azure SDK (Azure.Core, Azure.Identity, Azure.Data.Tables, Azure.Storage.*) and the Functions worker.</summary>
    internal static readonly string[] ForbiddenAssemblyPrefixes = ["Microsoft.AspNetCore.", "Azure.", "Microsoft.Azure."];

    internal static readonly string[] ForbiddenNamespaces =
    [
        "Microsoft.AspNetCore", "Azure", "Microsoft.Azure",
        SrcAssemblies.SignalRServerless, SrcAssemblies.Storage, SrcAssemblies.Hosting,
        "FunctionsGateway.Functions", SrcAssemblies.LocalHost, SrcAssemblies.Client, SrcAssemblies.Cli,
    ];

    [Fact]
    public void Core_references_no_aspnetcore_azure_sdk_or_outer_gateway_assembly()
    {
        var violations = ArchitectureRules.ForbiddenAssemblyReferences(SrcAssemblies.Load(SrcAssemblies.Core), ForbiddenAssemblies, ForbiddenAssemblyPrefixes);

        ArchitectureRules.AssertNone("Core must not reference ASP.NET Core, an Azure SDK, SignalR.Serverless, Storage or Hosting", violations);
    }

    [Fact]
    public void No_core_type_uses_an_aspnetcore_azure_sdk_or_outer_gateway_type()
    {
        var violations = ArchitectureRules.ForbiddenTypeDependencies(SrcAssemblies.Core, ForbiddenNamespaces, ForbiddenAssemblies, ForbiddenAssemblyPrefixes);

        ArchitectureRules.AssertNone("No Core type may use ASP.NET Core, an Azure SDK, SignalR.Serverless, Storage or Hosting", violations);
    }

    [Fact]
    public void The_core_checks_catch_the_azure_and_core_uses_of_storage()
    {
        // The same two checks against an assembly that is meant to use Azure.Data.Tables: they must see it, or the
        // passing tests above would prove nothing.
        var references = ArchitectureRules.ForbiddenAssemblyReferences(SrcAssemblies.Load(SrcAssemblies.Storage), ForbiddenAssemblies, ForbiddenAssemblyPrefixes);
        var types = ArchitectureRules.ForbiddenTypeDependencies(SrcAssemblies.Storage, ForbiddenNamespaces, ForbiddenAssemblies, ForbiddenAssemblyPrefixes);

        Assert.Contains($"{SrcAssemblies.Storage} references assembly Azure.Data.Tables", references);
        Assert.Contains(types, v => v.Contains(" uses Azure.Data.Tables.TableClient (from assembly Azure.Data.Tables)", StringComparison.Ordinal));
    }
}
