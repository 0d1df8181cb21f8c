using System.Xml.Linq;

namespace FunctionsGateway.Tests.Architecture;

/// <summary>
/// Projects follow the flow of a call: Protocol ← Core ← Storage; Core + Storage + SignalR.Serverless ← Hosting ←
/// Function App / LocalHost; Protocol ← Client ← Cli; SignalR.Serverless stands alone. Each may use what is below it.
/// </summary>
public sealed class LayeringTests
{
    [Theory]
    [MemberData(nameof(SrcAssemblies.All), MemberType = typeof(SrcAssemblies))]
    public void Each_src_assembly_references_only_assemblies_below_it_in_the_flow(string assembly)
    {
        ArchitectureRules.AssertNone($"{assembly} may reference only the src assemblies below it", ArchitectureRules.ReferencesOutsideTheFlow(assembly, SrcAssemblies.Below));
    }

    [Theory]
    [MemberData(nameof(SrcAssemblies.All), MemberType = typeof(SrcAssemblies))]
    public void Each_src_project_references_only_projects_below_it_in_the_flow(string assembly)
    {
        var allowed = SrcAssemblies.AllowedBelow(assembly);
        var project = ProjectFile(assembly);
        var violations = XDocument.Load(project).Descendants("ProjectReference")
            .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value.Replace('\\', '/')))
            .Where(r => !allowed.Contains(r))
            .Select(r => $"{Path.GetRelativePath(RepoPaths.Root, project)} has a ProjectReference to {r}, which is not below it (allowed: {ArchitectureRules.Describe(allowed)})")
            .ToList();

        ArchitectureRules.AssertNone($"{assembly} may reference only the projects below it", violations);
    }

    [Fact]
    public void The_flow_places_every_src_project()
    {
        // One project per folder of src (obj/ holds generated ones, such as the Functions SDK's WorkerExtensions).
        var projects = Directory.GetDirectories(Path.Combine(RepoPaths.Root, "src"))
            .SelectMany(folder => Directory.GetFiles(folder, "*.csproj", SearchOption.TopDirectoryOnly))
            .Select(Path.GetFileNameWithoutExtension)
            .Order(StringComparer.Ordinal);

        Assert.Equal(SrcAssemblies.Names.Order(StringComparer.Ordinal), projects);
    }

    [Fact]
    public void The_layering_check_catches_a_reference_that_goes_up_the_flow()
    {
        // A flow in which Hosting sat directly on Core alone: its real references to Storage and SignalR.Serverless
        // must then be reported.
        var wrong = new Dictionary<string, string[]>(SrcAssemblies.Below, StringComparer.Ordinal) { [SrcAssemblies.Hosting] = [SrcAssemblies.Core] };

        var violations = ArchitectureRules.ReferencesOutsideTheFlow(SrcAssemblies.Hosting, wrong);

        Assert.Contains(violations, v => v.StartsWith($"{SrcAssemblies.Hosting} references {SrcAssemblies.Storage}, which is not below it", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith($"{SrcAssemblies.Hosting} references {SrcAssemblies.SignalRServerless}, which is not below it", StringComparison.Ordinal));
    }

    private static string ProjectFile(string assembly)
    {
        var path = Path.Combine(RepoPaths.Root, "src", assembly, assembly + ".csproj");
        Assert.True(File.Exists(path), $"{path} is missing");
        return path;
    }
}
