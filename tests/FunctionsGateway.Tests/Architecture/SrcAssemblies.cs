using System.Collections.Concurrent;
using System.Reflection;
using Mono.Cecil;

namespace FunctionsGateway.Tests.Architecture;

/// <summary>
/// The src assemblies in the flow of a call, each with the ones directly below it (what its project may reference).
/// Anything below those, transitively, is allowed too; nothing else is.
/// </summary>
internal static class SrcAssemblies
{
    public const string Protocol = "FunctionsGateway.Protocol";
    public const string SignalRServerless = "FunctionsGateway.SignalR.Serverless";
    public const string Core = "FunctionsGateway.Core";
    public const string Storage = "FunctionsGateway.Storage";
    public const string Hosting = "FunctionsGateway.Hosting";
    public const string FunctionApp = "FunctionsGateway";
    public const string LocalHost = "FunctionsGateway.LocalHost";
    public const string Client = "FunctionsGateway.Client";
    public const string Cli = "FunctionsGateway.Cli";

    /// <summary>Assembly name → the assemblies directly below it in the flow.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Below = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        // The SignalR serverless wire knows nothing of the gateway, not even its wire types.
        [SignalRServerless] = [],
        [Protocol] = [],
        [Core] = [Protocol],
        [Storage] = [Core],
        [Hosting] = [Core, Storage, SignalRServerless],
        [FunctionApp] = [Hosting],
        [LocalHost] = [Hosting],
        [Client] = [Protocol],
        [Cli] = [Client],
    };

    public static IEnumerable<string> Names => Below.Keys;

    /// <summary>For xunit theories: one row per src assembly.</summary>
    public static TheoryData<string> All => [.. Names];

    /// <summary>Every src assembly but <see cref="Storage"/>.</summary>
    public static TheoryData<string> AllButStorage => [.. Names.Where(n => n != Storage)];

    private static readonly ConcurrentDictionary<string, ModuleDefinition> Modules = new(StringComparer.Ordinal);

    /// <summary>Everything below <paramref name="name"/> in the flow: the transitive closure of <see cref="Below"/>.</summary>
    public static IReadOnlySet<string> AllowedBelow(string name, IReadOnlyDictionary<string, string[]>? below = null)
    {
        below ??= Below;
        var allowed = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(below[name]);
        while (pending.TryPop(out var next))
        {
            if (allowed.Add(next))
            {
                foreach (var lower in below[next])
                {
                    pending.Push(lower);
                }
            }
        }

        return allowed;
    }

    /// <summary>The assembly as the runtime loads it: this test project references every src project.</summary>
    public static Assembly Load(string name) => Assembly.Load(new AssemblyName(name));

    /// <summary>The same assembly read as metadata, for type-level dependencies.</summary>
    public static ModuleDefinition Module(string name)
        => Modules.GetOrAdd(name, n => ModuleDefinition.ReadModule(Load(n).Location, new ReaderParameters { InMemory = true, ReadSymbols = false }));
}
