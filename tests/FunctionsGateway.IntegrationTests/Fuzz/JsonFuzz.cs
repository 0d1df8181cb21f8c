using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FunctionsGateway.IntegrationTests.Fuzz;

/// <summary>Structure-aware mutations of a JSON tree, its serialization, and byte-level mutations of any input.</summary>
public static class JsonFuzz
{
    private static readonly JsonSerializerOptions Escaped = new() { Encoder = JavaScriptEncoder.Default, MaxDepth = 5000 };
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, MaxDepth = 5000 };
    private static readonly string[] LoneEscapes = ["\\ud800", "\\udfff", "\\udc00\\ud800", "\\ud800x"];
    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x1E, 0x7F, 0x80, 0xC0, 0xC3, 0xED, 0xFF, (byte)'{', (byte)'}', (byte)'[', (byte)']', (byte)'"', (byte)'\\', (byte)',', (byte)':', 0x90, 0x91, 0xDC, 0xDD, 0xCC, 0xD9];

    /// <summary>Applies <paramref name="rounds"/> random structural mutations anywhere in the tree; returns the (possibly new) root.</summary>
    public static JsonNode? Mutate(JsonNode? root, Random random, int rounds)
    {
        for (var i = 0; i < rounds; i++)
        {
            root = MutateOnce(root, random);
        }

        return root;
    }

    /// <summary>Replaces, removes, retypes or wraps the value at one random place of the tree.</summary>
    public static JsonNode? MutateOnce(JsonNode? root, Random random)
    {
        var slots = new List<(JsonNode Parent, object Key)>();
        Collect(root, slots);
        if (slots.Count == 0 || random.Chance(0.05))
        {
            return Replacement(root, random);
        }

        var (parent, key) = slots[random.Next(slots.Count)];
        if (parent is JsonObject obj)
        {
            var name = (string)key;
            switch (random.Next(6))
            {
                case 0:
                    obj.Remove(name);
                    return root;
                case 1:
                    obj[FuzzValues.String(random)] = FuzzValues.Value(random);
                    return root;
                default:
                    var current = obj[name];
                    obj[name] = null;
                    obj[name] = Replacement(current, random);
                    return root;
            }
        }

        var array = (JsonArray)parent;
        var index = (int)key;
        switch (random.Next(5))
        {
            case 0:
                array.RemoveAt(index);
                return root;
            case 1:
                array.Insert(index, FuzzValues.Value(random));
                return root;
            default:
                var element = array[index];
                array[index] = null;
                array[index] = Replacement(element, random);
                return root;
        }
    }

    /// <summary>What replaces a value: another value, the same value retyped, a huge string, or deep nesting.</summary>
    public static JsonNode? Replacement(JsonNode? current, Random random)
    {
        switch (random.Next(8))
        {
            case 0:
                return null;
            case 1:
                // Numbers as strings and strings as numbers: numbers are strictly typed on the wire.
                return current is JsonValue value && value.GetValueKind() == JsonValueKind.Number
                    ? JsonValue.Create(value.ToJsonString())
                    : current is JsonValue text && text.GetValueKind() == JsonValueKind.String && long.TryParse(text.GetValue<string>(), out var n)
                        ? JsonValue.Create(n)
                        : FuzzValues.Number(random);
            case 2:
                return JsonValue.Create(new string((char)random.Next('a', 'z' + 1), random.Chance(0.8) ? random.Next(100, 5000) : random.Next(60_000, 70_000)));
            case 3:
                return Nest(current?.DeepClone(), random.Chance(0.8) ? random.Next(2, 40) : random.Next(60, 2000), random);
            case 4:
                return current is null ? FuzzValues.Value(random) : new JsonArray(current.DeepClone());
            default:
                return FuzzValues.Value(random);
        }
    }

    /// <summary>Wraps a value in <paramref name="depth"/> arrays or objects.</summary>
    public static JsonNode Nest(JsonNode? inner, int depth, Random random)
    {
        var node = inner ?? JsonValue.Create(0);
        var asObjects = random.Chance(0.5);
        for (var i = 0; i < depth; i++)
        {
            node = asObjects ? new JsonObject { ["a"] = node } : new JsonArray(node);
        }

        return node;
    }

    /// <summary>The tree as text for a failure message; nesting deeper than the default writer allows is the point of some inputs.</summary>
    public static string Text(JsonNode? node) => node?.ToJsonString(Relaxed) ?? "null";

    /// <summary>UTF-8 JSON of the tree, with every <see cref="FuzzValues.LoneSurrogate"/> turned into a lone surrogate escape.</summary>
    public static byte[] Serialize(JsonNode? node, Random random)
    {
        var text = node?.ToJsonString(random.Chance(0.5) ? Escaped : Relaxed) ?? "null";
        const string Marker = "\\u0001LONE\\u0001";
        while (text.Contains(Marker, StringComparison.Ordinal))
        {
            var at = text.IndexOf(Marker, StringComparison.Ordinal);
            text = string.Concat(text.AsSpan(0, at), random.Pick(LoneEscapes), text.AsSpan(at + Marker.Length));
        }

        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>Text-level JSON damage a tree cannot express: duplicate keys, a BOM, trailing data, comments.</summary>
    public static byte[] TextMutation(byte[] json, Random random)
    {
        var text = Encoding.UTF8.GetString(json);
        var brace = text.IndexOf('{', StringComparison.Ordinal);
        return random.Next(7) switch
        {
            0 when brace >= 0 => Encoding.UTF8.GetBytes(text.Insert(brace + 1, "\"method\":\"health\",\"type\":1,\"target\":\"req\",")),
            1 => [0xEF, 0xBB, 0xBF, .. json],
            2 => [.. json, .. "\u001E"u8, .. json],
            3 => [.. json, .. "{}"u8],
            4 => Encoding.UTF8.GetBytes("/*c*/" + text),
            5 => [.. json, 0x1E, 0x1E],
            _ => Encoding.UTF8.GetBytes(text.Replace(":", " : ", StringComparison.Ordinal).Replace(",", " ,\n", StringComparison.Ordinal)),
        };
    }

    /// <summary>Byte-level damage: flips, interesting bytes, inserts, deletes, duplicates, truncation.</summary>
    public static byte[] ByteMutation(byte[] data, Random random, int rounds)
    {
        var bytes = new List<byte>(data);
        for (var i = 0; i < rounds; i++)
        {
            var at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(7))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[at] = random.Pick(InterestingBytes);
                    break;
                case 2:
                    bytes.InsertRange(at, random.Bytes(random.Next(1, 9)));
                    break;
                case 3 when bytes.Count > 0:
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(1, 9)));
                    break;
                case 4 when bytes.Count > 0:
                    var length = Math.Min(bytes.Count - at, random.Next(1, 32));
                    bytes.InsertRange(random.Next(bytes.Count), bytes.GetRange(at, length));
                    break;
                case 5:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                default:
                    bytes.Insert(at, random.Pick(InterestingBytes));
                    break;
            }
        }

        return [.. bytes];
    }

    private static void Collect(JsonNode? node, List<(JsonNode Parent, object Key)> slots)
    {
        // Deeply nested values from an earlier round are skipped: collecting them would cost more than it finds.
        if (slots.Count > 500)
        {
            return;
        }

        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj.ToList())
                {
                    slots.Add((obj, name));
                    Collect(child, slots);
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    slots.Add((array, i));
                    Collect(array[i], slots);
                }

                break;
        }
    }
}
