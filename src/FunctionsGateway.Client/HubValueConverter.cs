using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Text.Json;

namespace FunctionsGateway.Client;

/// <summary>
/// Converts between <see cref="JsonElement"/> and the plain objects SignalR's MessagePack protocol can carry.
/// MessagePack cannot serialize a <see cref="JsonElement"/>, and it deserializes an <c>object</c> result as
/// <c>Dictionary&lt;object, object&gt;</c>, <c>object[]</c> and primitives of whatever width the sender chose.
/// </summary>
public static class HubValueConverter
{
    private const int MaxDepth = 64;

    /// <summary>
    /// JSON → plain: objects become <c>Dictionary&lt;string, object?&gt;</c>, arrays <c>object?[]</c>, integers <c>long</c>
    /// (or <c>ulong</c> above <c>long.MaxValue</c>), other numbers <c>double</c>, plus <c>string</c>, <c>bool</c> and null.
    /// </summary>
    public static object? ToPlainObject(JsonElement element) => ToPlain(element, 0);

    /// <summary>Plain (as MessagePack deserializes an <c>object</c>) → JSON. A <see cref="JsonElement"/> passes through (cloned).</summary>
    public static JsonElement ToJsonElement(object? value)
    {
        if (value is JsonElement element)
        {
            return element.Clone();
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, value, 0);
        }

        var reader = new Utf8JsonReader(buffer.WrittenSpan);
        return JsonElement.ParseValue(ref reader);
    }

    private static object? ToPlain(JsonElement element, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new JsonException($"value nested deeper than {MaxDepth} levels");
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var map = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    map[property.Name] = ToPlain(property.Value, depth + 1);
                }

                return map;
            case JsonValueKind.Array:
                var items = new object?[element.GetArrayLength()];
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    items[i++] = ToPlain(item, depth + 1);
                }

                return items;
            case JsonValueKind.String:
                return element.GetString();
            case JsonValueKind.Number:
                if (element.TryGetInt64(out var l))
                {
                    return l;
                }

                if (element.TryGetUInt64(out var ul))
                {
                    return ul;
                }

                return element.GetDouble();
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                return null;
        }
    }

    private static void Write(Utf8JsonWriter writer, object? value, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new JsonException($"value nested deeper than {MaxDepth} levels");
        }

        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case char c:
                writer.WriteStringValue(c.ToString());
                break;
            case byte n:
                writer.WriteNumberValue(n);
                break;
            case sbyte n:
                writer.WriteNumberValue(n);
                break;
            case short n:
                writer.WriteNumberValue(n);
                break;
            case ushort n:
                writer.WriteNumberValue(n);
                break;
            case int n:
                writer.WriteNumberValue(n);
                break;
            case uint n:
                writer.WriteNumberValue(n);
                break;
            case long n:
                writer.WriteNumberValue(n);
                break;
            case ulong n:
                writer.WriteNumberValue(n);
                break;
            case float f:
                WriteFloating(writer, f);
                break;
            case double d:
                WriteFloating(writer, d);
                break;
            case decimal m:
                writer.WriteNumberValue(m);
                break;
            case byte[] bytes:
                writer.WriteBase64StringValue(bytes);
                break;
            case DateTime dt:
                writer.WriteStringValue(dt);
                break;
            case DateTimeOffset dto:
                writer.WriteStringValue(dto);
                break;
            case JsonElement element:
                element.WriteTo(writer);
                break;
            case IDictionary dictionary:
                writer.WriteStartObject();
                foreach (DictionaryEntry entry in dictionary)
                {
                    writer.WritePropertyName(KeyName(entry.Key));
                    Write(writer, entry.Value, depth + 1);
                }

                writer.WriteEndObject();
                break;
            case IEnumerable sequence:
                writer.WriteStartArray();
                foreach (var item in sequence)
                {
                    Write(writer, item, depth + 1);
                }

                writer.WriteEndArray();
                break;
            default:
                // Anything else (a record handed in directly): its JSON form under the gateway's conventions.
                JsonSerializer.Serialize(writer, value, value.GetType(), Protocol.GatewayJson.Options);
                break;
        }
    }

    private static void WriteFloating(Utf8JsonWriter writer, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            // JSON has no NaN or Infinity; keep the information rather than failing the whole message.
            writer.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void WriteFloating(Utf8JsonWriter writer, float value)
    {
        if (float.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static string KeyName(object key) => key switch
    {
        string s => s,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => key.ToString() ?? string.Empty,
    };
}
