using System.Reflection;
using NetArchTest.Rules;

namespace FunctionsGateway.Tests.Architecture;

/// <summary>
/// The checks behind the architecture tests, as functions of what they inspect, so a test can run the same check
/// against a known violator and see it fail. Each returns one readable line per violation.
/// </summary>
internal static class ArchitectureRules
{
    /// <summary>
    /// Assembly references (<see cref="Assembly.GetReferencedAssemblies"/>) of <paramref name="assembly"/> that are
    /// named <paramref name="forbidden"/> or start with one of <paramref name="forbiddenPrefixes"/> (e.g. "Azure.").
    /// </summary>
    public static List<string> ForbiddenAssemblyReferences(Assembly assembly, IEnumerable<string> forbidden, IEnumerable<string> forbiddenPrefixes)
    {
        var names = forbidden.ToHashSet(StringComparer.Ordinal);
        var prefixes = forbiddenPrefixes.ToList();
        return [.. assembly.GetReferencedAssemblies()
            .Select(r => r.Name!)
            .Where(r => names.Contains(r) || prefixes.Any(p => r.StartsWith(p, StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal)
            .Select(r => $"{assembly.GetName().Name} references assembly {r}")];
    }

    /// <summary>
    /// Type-level dependencies of <paramref name="assemblyName"/> on the <paramref name="forbiddenNamespaces"/> (namespaces or
    /// full type names), found by NetArchTest; and, read from metadata, on types whose assembly is named one of
    /// <paramref name="forbiddenAssemblies"/> or starts with one of <paramref name="forbiddenAssemblyPrefixes"/>.
    /// Each line names the type and what it uses.
    /// </summary>
    public static List<string> ForbiddenTypeDependencies(
        string assemblyName,
        string[] forbiddenNamespaces,
        IEnumerable<string> forbiddenAssemblies,
        IEnumerable<string> forbiddenAssemblyPrefixes)
    {
        var assemblies = forbiddenAssemblies.ToHashSet(StringComparer.Ordinal);
        var prefixes = forbiddenAssemblyPrefixes.ToList();
        var namespaces = forbiddenNamespaces.ToList();

        bool Forbidden(TypeDependency d)
            => assemblies.Contains(d.ToAssembly)
               || prefixes.Any(p => d.ToAssembly.StartsWith(p, StringComparison.Ordinal))
               || namespaces.Any(n => d.ToName == n || d.ToName.StartsWith(n + ".", StringComparison.Ordinal) || d.ToName.StartsWith(n + "+", StringComparison.Ordinal));

        var found = TypeDependencies.Of(SrcAssemblies.Module(assemblyName)).Where(d => d.ToAssembly != assemblyName && Forbidden(d)).ToList();
        var lines = found.Select(d => $"{d.FromName} uses {d.ToName} (from assembly {d.ToAssembly})").ToHashSet(StringComparer.Ordinal);

        // NetArchTest's own search, so the rule does not rest on one reader alone; a type it flags that the metadata
        // walk above missed is still reported.
        if (namespaces.Count > 0)
        {
            var result = Types.InAssembly(SrcAssemblies.Load(assemblyName)).ShouldNot().HaveDependencyOnAny([.. namespaces]).GetResult();
            // NetArchTest names the declaring type for what its lambdas and state machines use.
            var explained = found.Select(d => d.FromName).ToList();
            foreach (var type in (result.FailingTypeNames ?? []).Select(t => t.Replace('/', '+')))
            {
                if (!explained.Any(e => e == type || e.StartsWith(type + "+", StringComparison.Ordinal)))
                {
                    lines.Add($"{type} depends on one of {string.Join(", ", namespaces)} (NetArchTest)");
                }
            }
        }

        return [.. lines.Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// The src assemblies that <paramref name="assemblyName"/> references but that are not below it in
    /// <paramref name="below"/> (the flow of a call).
    /// </summary>
    public static List<string> ReferencesOutsideTheFlow(string assemblyName, IReadOnlyDictionary<string, string[]> below)
    {
        var allowed = SrcAssemblies.AllowedBelow(assemblyName, below);
        return [.. SrcAssemblies.Load(assemblyName).GetReferencedAssemblies()
            .Select(r => r.Name!)
            .Where(r => below.ContainsKey(r) && !allowed.Contains(r))
            .Order(StringComparer.Ordinal)
            .Select(r => $"{assemblyName} references {r}, which is not below it (allowed: {Describe(allowed)})")];
    }

    /// <summary>Throws with the rule and one line per violation when there is any.</summary>
    public static void AssertNone(string rule, IReadOnlyCollection<string> violations)
    {
        if (violations.Count > 0)
        {
            Assert.Fail($"{rule}: {violations.Count} violation(s)\n  - {string.Join("\n  - ", violations)}");
        }
    }

    public static string Describe(IEnumerable<string> names)
    {
        var list = names.Order(StringComparer.Ordinal).ToList();
        return list.Count == 0 ? "none" : string.Join(", ", list);
    }
}
