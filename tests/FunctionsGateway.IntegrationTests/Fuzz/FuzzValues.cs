using System.Text.Json.Nodes;

namespace FunctionsGateway.IntegrationTests.Fuzz;

/// <summary>The values a structure-aware mutation puts where a field was: edge-case strings, numbers and shapes.</summary>
public static class FuzzValues
{
    /// <summary>
    /// Stands for a lone UTF-16 surrogate inside a string: a JSON writer refuses to write one, so <see cref="JsonFuzz.Serialize"/>
    /// replaces the marker with a <c>\ud800</c>-style escape in the text and <see cref="MessagePackFuzz"/> with invalid UTF-8.
    /// </summary>
    public const string LoneSurrogate = "\u0001LONE\u0001";

    private static readonly string[] Strings =
    [
        "", " ", "a", "\0", "a\0b", "\uFFFF", "\uFFFE", "\u200B", "\uD83D\uDE00", "é", "İ", "ß", "\t\r\n", "\u001E", "\u007F", "\u0085", "\u2028",
        "null", "true", "false", "0", "-1", "3", "1e309", "NaN", "Infinity", "[]", "{}", "\"", "\\", "'", "<script>", "%00", "../..", "/\\#?",
        "operator", "node", "admin", "OPERATOR", "operator ", "operator.admin", "operator.read", "operator.write", "operator.pairing",
        "operator.approvals", "Operator.Admin", "operator.admin,operator.read", "health", "connect", "connect.challenge", "status",
        "device.pair.approve", "sessions.spawn", "node.event", "req", "REQ", "gateway", "~directory", "~workers", "~sessions", "conn:x",
        "token:operator", "pending", "device", "v3|x|y", "a|b|c", "agent:main:main", "agent:main:subagent:00000000000000000000000000000000",
        LoneSurrogate, "x" + LoneSurrogate, LoneSurrogate + LoneSurrogate,
    ];

    private static readonly string[] Numbers =
    [
        "0", "-0", "1", "-1", "3", "3.0", "3.5", "1E2", "1e309", "-1e309", "2147483647", "2147483648", "-2147483649",
        "9223372036854775807", "9223372036854775808", "-9223372036854775809", "18446744073709551616", "0.0000001",
        "123456789012345678901234567890", "4.9e-324", "1.7976931348623157e308",
    ];

    private static readonly int[] Lengths = [1, 2, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 511, 512, 513, 1024, 4096];

    public static T Pick<T>(this Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    public static bool Chance(this Random random, double probability) => random.NextDouble() < probability;

    public static byte[] Bytes(this Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    public static string String(Random random) => random.Next(6) switch
    {
        0 or 1 => random.Pick(Strings),
        2 => new string((char)random.Next('!', '~' + 1), random.Pick(Lengths)),
        3 => RandomText(random, random.Next(0, 40)),
        4 => random.Pick(Strings) + RandomText(random, random.Next(1, 8)),
        _ => Convert.ToBase64String(random.Bytes(random.Next(0, 70))).Replace('+', '-').Replace('/', '_').TrimEnd('='),
    };

    /// <summary>A printable ASCII string, for header values (HttpClient sends nothing else).</summary>
    public static string Ascii(Random random, int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = (char)random.Next(0x20, 0x7F);
        }

        return new string(chars);
    }

    public static JsonNode Number(Random random) => random.Next(3) switch
    {
        0 => JsonNode.Parse(random.Pick(Numbers))!,
        1 => JsonValue.Create(random.Next(int.MinValue, int.MaxValue)),
        _ => JsonValue.Create(random.NextInt64(long.MinValue, long.MaxValue)),
    };

    /// <summary>Any JSON value, nested at most <paramref name="depth"/> levels.</summary>
    public static JsonNode? Value(Random random, int depth = 3)
    {
        switch (random.Next(depth > 0 ? 8 : 5))
        {
            case 0:
                return null;
            case 1:
                return JsonValue.Create(random.Chance(0.5));
            case 2:
                return Number(random);
            case 3:
            case 4:
                return JsonValue.Create(String(random));
            case 5:
            case 6:
                var array = new JsonArray();
                for (var i = random.Next(0, 4); i > 0; i--)
                {
                    array.Add(Value(random, depth - 1));
                }

                return array;
            default:
                var obj = new JsonObject();
                for (var i = random.Next(0, 4); i > 0; i--)
                {
                    obj[String(random)] = Value(random, depth - 1);
                }

                return obj;
        }
    }

    /// <summary>Text of random code points: ASCII, Latin, CJK, emoji (surrogate pairs), controls.</summary>
    public static string RandomText(Random random, int length)
    {
        var builder = new System.Text.StringBuilder(length * 2);
        for (var i = 0; i < length; i++)
        {
            var codePoint = random.Next(5) switch
            {
                0 => random.Next(0x00, 0x20),
                1 or 2 => random.Next(0x20, 0x7F),
                3 => random.Next(0xA0, 0x3000),
                _ => random.Next(0x1F300, 0x1F6FF),
            };
            builder.Append(char.ConvertFromUtf32(codePoint));
        }

        return builder.ToString();
    }
}
