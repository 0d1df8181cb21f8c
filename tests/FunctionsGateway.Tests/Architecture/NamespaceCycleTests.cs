namespace FunctionsGateway.Tests.Architecture;

/// <summary>Namespaces depend one way: no slice of Core, and no namespace of src, reaches back to itself.</summary>
public sealed class NamespaceCycleTests
{
    private const string CorePrefix = SrcAssemblies.Core + ".";

    /// <summary>
    /// Cycles that were in the tree when this test was written, each as the namespaces of its strongly connected
    /// component. They are reported, not fixed here; any other cycle fails, and so does one of these once it is gone
    /// (delete its line then, so it cannot come back).
    /// </summary>
    internal static readonly string[][] KnownCycles = [];

    /// <summary>Core's first-level sub-namespaces are its slices (Core.Pairing.X is Core.Pairing); Core's own root namespace is one more.</summary>
    internal static string? CoreSlice(string ns)
    {
        if (ns == SrcAssemblies.Core)
        {
            return ns;
        }

        if (!ns.StartsWith(CorePrefix, StringComparison.Ordinal))
        {
            return null; // compiler-generated namespaces (regex, embedded attributes) and the global one
        }

        var dot = ns.IndexOf('.', CorePrefix.Length);
        return dot < 0 ? ns : ns[..dot];
    }

    /// <summary>Every namespace of the gateway, as it is.</summary>
    internal static string? GatewayNamespace(string ns)
        => ns == SrcAssemblies.FunctionApp || ns.StartsWith(SrcAssemblies.FunctionApp + ".", StringComparison.Ordinal) ? ns : null;

    [Fact]
    public void Core_slices_depend_on_each_other_without_a_cycle()
    {
        var graph = NamespaceGraph.Of([SrcAssemblies.Module(SrcAssemblies.Core)], CoreSlice);

        Assert.Contains($"{SrcAssemblies.Core}.Pairing", graph.Nodes); // the slices are there to check
        ArchitectureRules.AssertNone("Core's namespaces (first-level slices) must not depend on each other in a cycle", NewCycles(graph));
    }

    [Fact]
    public void Src_namespaces_depend_on_each_other_without_a_cycle()
    {
        var graph = NamespaceGraph.Of(SrcAssemblies.Names.Select(SrcAssemblies.Module), GatewayNamespace);

        Assert.Contains("FunctionsGateway.Functions", graph.Nodes); // every assembly is in the graph
        Assert.Contains("FunctionsGateway.LocalHost.ServiceEmulation", graph.Nodes);
        ArchitectureRules.AssertNone("src namespaces must not depend on each other in a cycle", NewCycles(graph, SrcAssemblies.FunctionApp + "."));
    }

    /// <summary>
    /// The cycles of <paramref name="graph"/> that are not in <see cref="KnownCycles"/>, and each known cycle among
    /// namespaces starting with <paramref name="scope"/> that is gone.
    /// </summary>
    private static List<string> NewCycles(NamespaceGraph graph, string scope = CorePrefix)
    {
        var known = KnownCycles.Where(c => c.All(n => (n + ".").StartsWith(scope, StringComparison.Ordinal)))
            .Select(c => string.Join(", ", c.Order(StringComparer.Ordinal)))
            .ToHashSet(StringComparer.Ordinal);
        var cycles = graph.StronglyConnectedComponents().Select(c => string.Join(", ", c)).ToHashSet(StringComparer.Ordinal);
        return [.. graph.DescribeCycles()
            .Where(line => !known.Any(k => line.Contains($"(among {k})", StringComparison.Ordinal)))
            .Concat(known.Where(k => !cycles.Contains(k)).Select(k => $"the known cycle among {k} is gone: delete it from {nameof(NamespaceCycleTests)}.{nameof(KnownCycles)}"))];
    }

    [Fact]
    public void The_cycle_check_reports_the_path_of_a_cycle_and_the_uses_that_make_it()
    {
        var graph = new NamespaceGraph();
        graph.AddEdge("App", "App.Pairing", "App.Startup uses App.Pairing.Gate");
        graph.AddEdge("App.Pairing", "App.Audit", "App.Pairing.Gate uses App.Audit.Log");
        graph.AddEdge("App.Audit", "App.Events", "App.Audit.Log uses App.Events.Notifier");
        graph.AddEdge("App.Events", "App.Pairing", "App.Events.Notifier uses App.Pairing.Gate");
        graph.AddEdge("App.Events", "App.Options", "App.Events.Notifier uses App.Options.Settings");

        var cycle = Assert.Single(graph.DescribeCycles());

        Assert.Equal(
            "cycle App.Audit → App.Events → App.Pairing → App.Audit (among App.Audit, App.Events, App.Pairing): "
            + "App.Audit.Log uses App.Events.Notifier; App.Events.Notifier uses App.Pairing.Gate; App.Pairing.Gate uses App.Audit.Log",
            cycle);
    }
}
