using Mono.Cecil;

namespace FunctionsGateway.Tests.Architecture;

/// <summary>
/// A directed graph of slices (namespaces, or groups of them) with one example type-level use for each edge, and the
/// cycles in it: the strongly connected components (Tarjan), each reported as one concrete cycle path.
/// </summary>
internal sealed class NamespaceGraph
{
    private readonly SortedDictionary<string, SortedDictionary<string, string>> edges = new(StringComparer.Ordinal);

    public IEnumerable<string> Nodes => edges.Keys;

    /// <summary>
    /// The graph of the types in <paramref name="modules"/>: an edge A → B when a type in slice A uses a type of these
    /// modules in slice B. <paramref name="slice"/> maps a namespace to its slice, or null to leave the type out.
    /// </summary>
    public static NamespaceGraph Of(IEnumerable<ModuleDefinition> modules, Func<string, string?> slice)
    {
        var list = modules.ToList();
        var inspected = list.Select(m => m.Assembly.Name.Name).ToHashSet(StringComparer.Ordinal);
        var graph = new NamespaceGraph();
        foreach (var dependency in list.SelectMany(TypeDependencies.Of))
        {
            if (!inspected.Contains(dependency.ToAssembly))
            {
                continue;
            }

            var from = slice(TypeDependencies.NamespaceOf(dependency.From));
            var to = slice(TypeDependencies.NamespaceOf(dependency.To));
            if (from is null || to is null)
            {
                continue;
            }

            graph.AddNode(from);
            graph.AddNode(to);
            if (from != to)
            {
                graph.AddEdge(from, to, $"{dependency.FromName} uses {dependency.ToName}");
            }
        }

        return graph;
    }

    public void AddNode(string node) => edges.TryAdd(node, new SortedDictionary<string, string>(StringComparer.Ordinal));

    public void AddEdge(string from, string to, string example)
    {
        AddNode(from);
        AddNode(to);
        edges[from].TryAdd(to, example);
    }

    /// <summary>The strongly connected components with more than one node (Tarjan's algorithm).</summary>
    public List<List<string>> StronglyConnectedComponents()
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var components = new List<List<string>>();
        var next = 0;

        void Visit(string node)
        {
            index[node] = low[node] = next++;
            stack.Push(node);
            onStack.Add(node);
            foreach (var target in edges[node].Keys)
            {
                if (!index.TryGetValue(target, out var targetIndex))
                {
                    Visit(target);
                    low[node] = Math.Min(low[node], low[target]);
                }
                else if (onStack.Contains(target))
                {
                    low[node] = Math.Min(low[node], targetIndex);
                }
            }

            if (low[node] == index[node])
            {
                var component = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    component.Add(member);
                }
                while (member != node);

                if (component.Count > 1)
                {
                    component.Sort(StringComparer.Ordinal);
                    components.Add(component);
                }
            }
        }

        foreach (var node in edges.Keys)
        {
            if (!index.ContainsKey(node))
            {
                Visit(node);
            }
        }

        return components;
    }

    /// <summary>
    /// One line per cycle: the shortest cycle in each strongly connected component (the first such, by name), as
    /// <c>A → B → A</c>, followed by one type-level use that makes each step.
    /// </summary>
    public List<string> DescribeCycles()
    {
        var lines = new List<string>();
        foreach (var component in StronglyConnectedComponents())
        {
            var members = component.ToHashSet(StringComparer.Ordinal);
            var path = component.Select(start => ShortestCycle(start, members)).MinBy(p => p.Count)!;
            var steps = path.Zip(path.Skip(1), (from, to) => $"{edges[from][to]}");
            lines.Add($"cycle {string.Join(" → ", path)} (among {string.Join(", ", component)}): {string.Join("; ", steps)}");
        }

        return lines;
    }

    private List<string> ShortestCycle(string start, HashSet<string> within)
    {
        // Breadth-first from start's successors back to start, inside the component.
        var previous = new Dictionary<string, string>(StringComparer.Ordinal);
        var queue = new Queue<string>();
        foreach (var first in edges[start].Keys.Where(within.Contains))
        {
            if (first == start || !previous.TryAdd(first, start))
            {
                continue;
            }

            queue.Enqueue(first);
        }

        while (queue.TryDequeue(out var node))
        {
            foreach (var target in edges[node].Keys.Where(within.Contains))
            {
                if (target == start)
                {
                    var path = new List<string> { start, node };
                    for (var step = node; step != start;)
                    {
                        step = previous[step];
                        path.Add(step);
                    }

                    path.Reverse();
                    return path;
                }

                if (previous.TryAdd(target, node))
                {
                    queue.Enqueue(target);
                }
            }
        }

        throw new InvalidOperationException($"{start} is in a strongly connected component but on no cycle");
    }
}
