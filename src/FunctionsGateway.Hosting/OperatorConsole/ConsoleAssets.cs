using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;

namespace FunctionsGateway.Hosting;

/// <summary>One file of the console: its bytes, content type and strong ETag, read once from the assembly.</summary>
public sealed record ConsoleAsset(string Name, string ContentType, byte[] Body, string ETag);

/// <summary>
/// The console's files, embedded in this assembly under <c>console/</c> (the page, its styles and ES modules, and the
/// SignalR browser client copied from <c>node_modules</c> at build time). They are the allow-list: a name is served
/// only if it is one of them, so there is no file system to walk and nothing to traverse. The folder is flat: a file in
/// a subfolder of <c>assets/</c> is not embedded, and a type not in <see cref="ContentTypes"/> is not served.
/// </summary>
public static class ConsoleAssets
{
    public const string ResourcePrefix = "console/";
    public const string Index = "index.html";

    /// <summary>The SignalR browser client, required at build (the build fails without it: run <c>npm ci</c>).</summary>
    public const string SignalRClient = "signalr.min.js";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".svg"] = "image/svg+xml",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly Lazy<FrozenDictionary<string, ConsoleAsset>> Loaded = new(() => Load(typeof(ConsoleAssets).Assembly));

    /// <summary>Every servable file by its name (no directories: names are single path segments).</summary>
    public static FrozenDictionary<string, ConsoleAsset> All => Loaded.Value;

    internal static FrozenDictionary<string, ConsoleAsset> Load(Assembly assembly)
    {
        var assets = new Dictionary<string, ConsoleAsset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var name = resource[ResourcePrefix.Length..];
            if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal) || !ContentTypes.TryGetValue(Path.GetExtension(name), out var contentType))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var body = copy.ToArray();
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(body).AsSpan(0, 16)) + "\"";
            assets[name] = new ConsoleAsset(name, contentType, body, etag);
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
