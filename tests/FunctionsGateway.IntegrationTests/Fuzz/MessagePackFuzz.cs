using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MessagePack;

namespace FunctionsGateway.IntegrationTests.Fuzz;

/// <summary>MessagePack hub messages built from JSON trees, with wrong types, lying counts and bad encodings mixed in.</summary>
public static class MessagePackFuzz
{
    private delegate void WriteAction(ref MessagePackWriter writer);

    private static readonly byte[] Utf16Surrogate = [0xED, 0xA0, 0x80];

    /// <summary>The tree as MessagePack; integers sometimes in wider encodings than needed, strings (when odd) sometimes as bin.</summary>
    public static byte[] Encode(JsonNode? node, Random random, bool odd = false) => Bytes((ref MessagePackWriter w) => Write(ref w, node, random, odd));

    /// <summary>
    /// An unframed Invocation <c>[1, headers, invocationId, target, arguments, streamIds?]</c>; with
    /// <paramref name="perverse"/> one or two of its parts are of the wrong type or its array header lies about the count.
    /// </summary>
    public static byte[] Invocation(Random random, string? invocationId, string target, JsonNode? arguments, bool perverse)
    {
        var parts = new List<byte[]>
        {
            Bytes((ref MessagePackWriter w) => w.Write(1)),
            Bytes((ref MessagePackWriter w) => w.WriteMapHeader(0)),
            invocationId is null ? Bytes((ref MessagePackWriter w) => w.WriteNil()) : Encode(JsonValue.Create(invocationId), random, perverse),
            Encode(JsonValue.Create(target), random, perverse),
            Encode(arguments, random, perverse),
        };
        if (random.Chance(0.2))
        {
            parts.Add(Bytes((ref MessagePackWriter w) => w.WriteArrayHeader(0)));
        }

        var count = parts.Count;
        for (var round = perverse ? random.Next(1, 3) : 0; round > 0; round--)
        {
            var at = random.Next(parts.Count);
            switch (random.Next(6))
            {
                case 0:
                    count = random.Pick([count - 1, count + 1, 0, 1, 65_535, int.MaxValue]);
                    break;
                case 1:
                    parts.Add(Encode(FuzzValues.Value(random), random));
                    count = parts.Count;
                    break;
                case 2:
                    parts[at] = Odd(random);
                    break;
                case 3:
                    parts.RemoveAt(at);
                    count = parts.Count;
                    break;
                default:
                    parts[at] = Encode(FuzzValues.Value(random), random);
                    break;
            }
        }

        return [.. Bytes((ref MessagePackWriter w) => w.WriteArrayHeader((uint)Math.Max(0, count))), .. parts.SelectMany(p => p)];
    }

    /// <summary>The framing of the MessagePack hub protocol: a VarInt length, then the message.</summary>
    public static byte[] Frame(byte[] message) => [.. VarInt(message.Length), .. message];

    public static byte[] VarInt(long value)
    {
        var bytes = new List<byte>(5);
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            bytes.Add(value > 0 ? (byte)(b | 0x80) : b);
        }
        while (value > 0);
        return [.. bytes];
    }

    /// <summary>A value no JSON converts to: an extension (timestamp), NaN, a non-string map key, invalid UTF-8, a lying length.</summary>
    public static byte[] Odd(Random random) => random.Next(8) switch
    {
        0 => Bytes((ref MessagePackWriter w) => w.Write(DateTime.UnixEpoch)),
        1 => Bytes((ref MessagePackWriter w) => w.Write(double.NaN)),
        2 => Bytes((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(1);
            w.Write(7);
            w.Write("value");
        }),
        3 => [0xA3, 0xFF, 0xFE, 0xFD],
        4 => [0xDB, 0x7F, 0xFF, 0xFF, 0xFF, 0x61],
        5 => [0xC1],
        6 => Bytes((ref MessagePackWriter w) => w.Write(ulong.MaxValue)),
        _ => [0xDD, 0xFF, 0xFF, 0xFF, 0xFF],
    };

    private static void Write(ref MessagePackWriter writer, JsonNode? node, Random random, bool odd)
    {
        switch (node)
        {
            case null:
                writer.WriteNil();
                break;
            case JsonObject obj:
                writer.WriteMapHeader(obj.Count);
                foreach (var (name, value) in obj)
                {
                    WriteString(ref writer, name, random, odd);
                    Write(ref writer, value, random, odd);
                }

                break;
            case JsonArray array:
                writer.WriteArrayHeader(array.Count);
                foreach (var value in array)
                {
                    Write(ref writer, value, random, odd);
                }

                break;
            case JsonValue value:
                WriteValue(ref writer, value, random, odd);
                break;
        }
    }

    private static void WriteValue(ref MessagePackWriter writer, JsonValue value, Random random, bool odd)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                WriteString(ref writer, value.GetValue<string>(), random, odd);
                break;
            case JsonValueKind.True:
            case JsonValueKind.False:
                writer.Write(value.GetValueKind() == JsonValueKind.True);
                break;
            case JsonValueKind.Number:
                var text = value.ToJsonString();
                if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var integer))
                {
                    if (random.Chance(0.2))
                    {
                        writer.WriteInt64(integer);
                    }
                    else
                    {
                        writer.Write(integer);
                    }
                }
                else if (ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var unsigned))
                {
                    writer.Write(unsigned);
                }
                else
                {
                    var real = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
                    if (random.Chance(0.3))
                    {
                        writer.Write((float)real);
                    }
                    else
                    {
                        writer.Write(real);
                    }
                }

                break;
            default:
                writer.WriteNil();
                break;
        }
    }

    private static void WriteString(ref MessagePackWriter writer, string text, Random random, bool odd)
    {
        var utf8 = new List<byte>();
        var parts = text.Split(FuzzValues.LoneSurrogate);
        for (var i = 0; i < parts.Length; i++)
        {
            utf8.AddRange(i > 0 ? Utf16Surrogate : []);
            utf8.AddRange(Encoding.UTF8.GetBytes(parts[i]));
        }

        if (odd && random.Chance(0.05))
        {
            writer.Write(utf8.ToArray());
        }
        else
        {
            writer.WriteString(utf8.ToArray());
        }
    }

    private static byte[] Bytes(WriteAction action)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        var writer = new MessagePackWriter(buffer);
        action(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>Reads a MessagePack value back into JSON, to check completions written in MessagePack.</summary>
public static class MessagePackJson
{
    public static JsonNode? Read(ref MessagePackReader reader) => reader.NextMessagePackType switch
    {
        MessagePackType.Nil => ReadNil(ref reader),
        MessagePackType.Boolean => JsonValue.Create(reader.ReadBoolean()),
        MessagePackType.Integer => JsonValue.Create(reader.ReadInt64()),
        MessagePackType.Float => JsonValue.Create(reader.ReadDouble()),
        MessagePackType.String => JsonValue.Create(reader.ReadString()),
        MessagePackType.Array => ReadArray(ref reader),
        MessagePackType.Map => ReadMap(ref reader),
        _ => throw new MessagePackSerializationException("unexpected " + reader.NextMessagePackType),
    };

    private static JsonNode? ReadNil(ref MessagePackReader reader)
    {
        reader.ReadNil();
        return null;
    }

    private static JsonArray ReadArray(ref MessagePackReader reader)
    {
        var array = new JsonArray();
        for (var count = reader.ReadArrayHeader(); count > 0; count--)
        {
            array.Add(Read(ref reader));
        }

        return array;
    }

    private static JsonObject ReadMap(ref MessagePackReader reader)
    {
        var obj = new JsonObject();
        for (var count = reader.ReadMapHeader(); count > 0; count--)
        {
            var name = reader.ReadString() ?? string.Empty;
            obj[name] = Read(ref reader);
        }

        return obj;
    }
}
