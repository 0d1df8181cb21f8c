using Mono.Cecil;
using Mono.Cecil.Cil;

namespace FunctionsGateway.Tests.Architecture;

/// <summary>
/// Telemetry has one source and one way out: Core alone creates the <c>FunctionsGateway</c> meter and activity source
/// (with System.Diagnostics only), Hosting alone chooses exporters, and only Hosting and the Function App (for the
/// Functions worker's defaults) know OpenTelemetry at all.
/// </summary>
public sealed class TelemetryIsolationTests
{
    /// <summary>The exporter assemblies: OTLP, console, in-memory, Azure Monitor.</summary>
    internal static readonly string[] ExporterPrefixes = ["OpenTelemetry.Exporter.", "Azure.Monitor.OpenTelemetry."];

    /// <summary>The OpenTelemetry SDK, its API and extensions, and every exporter.</summary>
    internal static readonly string[] OpenTelemetryPrefixes = ["OpenTelemetry", "Azure.Monitor.OpenTelemetry", "Microsoft.Azure.Functions.Worker.OpenTelemetry"];

    private const string Creator = "FunctionsGateway.Core.Telemetry.GatewayTelemetry";

    public static TheoryData<string> AllButHosting => [.. SrcAssemblies.Names.Where(n => n != SrcAssemblies.Hosting)];

    public static TheoryData<string> AllButTheHostingLayers => [.. SrcAssemblies.Names.Where(n => n is not (SrcAssemblies.Hosting or SrcAssemblies.FunctionApp))];

    [Theory]
    [MemberData(nameof(AllButHosting))]
    public void Only_hosting_references_an_opentelemetry_exporter(string assembly)
    {
        var violations = ArchitectureRules.ForbiddenAssemblyReferences(SrcAssemblies.Load(assembly), [], ExporterPrefixes);

        ArchitectureRules.AssertNone($"Only {SrcAssemblies.Hosting} may choose an exporter", violations);
    }

    [Theory]
    [MemberData(nameof(AllButTheHostingLayers))]
    public void Only_hosting_and_the_function_app_reference_opentelemetry(string assembly)
    {
        var violations = ArchitectureRules.ForbiddenAssemblyReferences(SrcAssemblies.Load(assembly), [], OpenTelemetryPrefixes);

        ArchitectureRules.AssertNone($"Only {SrcAssemblies.Hosting} and {SrcAssemblies.FunctionApp} may reference OpenTelemetry; the rest use System.Diagnostics", violations);
    }

    [Fact]
    public void The_reference_checks_catch_the_exporters_hosting_uses()
    {
        var references = ArchitectureRules.ForbiddenAssemblyReferences(SrcAssemblies.Load(SrcAssemblies.Hosting), [], ExporterPrefixes);

        Assert.Contains($"{SrcAssemblies.Hosting} references assembly Azure.Monitor.OpenTelemetry.Exporter", references);
        Assert.Contains($"{SrcAssemblies.Hosting} references assembly OpenTelemetry.Exporter.OpenTelemetryProtocol", references);
    }

    [Fact]
    public void Only_the_gateway_telemetry_class_creates_a_meter_or_an_activity_source()
    {
        var creators = SrcAssemblies.Names.SelectMany(Creations).ToList();

        Assert.Equal(
            [$"{Creator} creates System.Diagnostics.ActivitySource", $"{Creator} creates System.Diagnostics.Metrics.Meter"],
            creators.Distinct().Order(StringComparer.Ordinal));
    }

    /// <summary>"Type creates X" for each <c>new ActivitySource</c> or <c>new Meter</c> in the assembly's method bodies.</summary>
    internal static IEnumerable<string> Creations(string assembly)
        => from type in SrcAssemblies.Module(assembly).GetTypes()
           from method in type.Methods
           where method.HasBody
           from instruction in method.Body.Instructions
           where instruction.OpCode == OpCodes.Newobj && instruction.Operand is MethodReference { DeclaringType.FullName: "System.Diagnostics.ActivitySource" or "System.Diagnostics.Metrics.Meter" }
           select $"{Outermost(type).FullName} creates {((MethodReference)instruction.Operand).DeclaringType.FullName}";

    private static TypeDefinition Outermost(TypeDefinition type) => type.DeclaringType is { } outer ? Outermost(outer) : type;
}
