using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace FunctionsGateway.IntegrationTests.Fuzz;

/// <summary>
/// The fuzz's determinism: one seed (<c>GATEWAY_FUZZ_SEED</c>, else <see cref="DefaultSeed"/>) and, from it, one
/// independent generator per case, so a case's input depends only on (seed, surface, index) and a failing case can be
/// replayed alone with <c>GATEWAY_FUZZ_CASE=surface:index</c>. What the gateway itself randomizes (nonces, connection
/// ids the local service assigns) and the clock are not part of the input.
/// </summary>
public static class FuzzSeed
{
    public const string SeedVariable = "GATEWAY_FUZZ_SEED";
    public const string CaseVariable = "GATEWAY_FUZZ_CASE";
    public const int DefaultSeed = 20_260_611;

    public static int Current => int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed)
        ? seed
        : DefaultSeed;

    /// <summary>The one case to replay (<c>GATEWAY_FUZZ_CASE=frames:17</c>), or null to run them all.</summary>
    public static (string Surface, int Index)? Replay
    {
        get
        {
            var value = Environment.GetEnvironmentVariable(CaseVariable);
            var colon = value?.LastIndexOf(':') ?? -1;
            return colon > 0 && int.TryParse(value![(colon + 1)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var index)
                ? (value[..colon], index)
                : null;
        }
    }

    /// <summary>The generator of one case: SplitMix64 over seed, surface and index (string hashes are randomized per process).</summary>
    public static Random ForCase(int seed, string surface, int index)
    {
        var x = Mix((ulong)(uint)seed);
        foreach (var c in surface)
        {
            x = Mix(x ^ c);
        }

        x = Mix(x ^ (ulong)(uint)index);
        return new Random((int)(x & int.MaxValue));
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}

/// <summary>How an input appears in a failure message: readable text when it is text, hex otherwise, truncated.</summary>
public static class FuzzText
{
    public const int MaxShown = 400;

    public static string Bytes(ReadOnlySpan<byte> bytes)
    {
        var suffix = bytes.Length > MaxShown ? $"... ({bytes.Length} bytes)" : string.Empty;
        var shown = bytes[..Math.Min(bytes.Length, MaxShown)];
        if (Utf8.IsValid(shown))
        {
            return "utf8 " + Text(Encoding.UTF8.GetString(shown)) + suffix;
        }

        return "hex " + Convert.ToHexString(shown) + suffix;
    }

    public static string Text(string? text)
    {
        if (text is null)
        {
            return "(null)";
        }

        var shown = text.Length > MaxShown ? text[..MaxShown] + $"... ({text.Length} chars)" : text;
        var builder = new StringBuilder(shown.Length + 2).Append('"');
        foreach (var c in shown)
        {
            builder.Append(char.IsControl(c) || char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c.ToString());
        }

        return builder.Append('"').ToString();
    }
}
