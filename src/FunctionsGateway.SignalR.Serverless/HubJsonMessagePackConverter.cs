using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Unicode;
using MessagePack;

namespace FunctionsGateway.SignalR.Serverless;

// Converts hub arguments and results between MessagePack and JSON so the rest of the gateway sees JSON only.
internal static class HubJsonMessagePackConverter
{
    // Writes the next MessagePack value as JSON; depth is the nesting level of that value.
    public static bool TryWriteJson(ref MessagePackSpanReader reader, Utf8JsonWriter writer, int depth, [NotNullWhen(false)] out string? error)
    {
        if (!reader.TryRead(out var token))
        {
            error = "MessagePack data is truncated or malformed.";
            return false;
        }

        switch (token.Type)
        {
            case MsgPackType.Nil:
                writer.WriteNullValue();
                break;
            case MsgPackType.Boolean:
                writer.WriteBooleanValue(token.Boolean);
                break;
            case MsgPackType.Integer:
                writer.WriteNumberValue(token.Integer);
                break;
            case MsgPackType.UnsignedInteger:
                writer.WriteNumberValue(token.UnsignedInteger);
                break;
            case MsgPackType.Float32:
                if (!float.IsFinite(token.Single))
                {
                    error = "NaN and infinity have no JSON form.";
                    return false;
                }

                writer.WriteNumberValue(token.Single);
                break;
            case MsgPackType.Float64:
                if (!double.IsFinite(token.Double))
                {
                    error = "NaN and infinity have no JSON form.";
                    return false;
                }

                writer.WriteNumberValue(token.Double);
                break;
            case MsgPackType.String:
                if (!Utf8.IsValid(token.Bytes))
                {
                    error = "MessagePack string is not valid UTF-8.";
                    return false;
                }

                writer.WriteStringValue(token.Bytes);
                break;
            case MsgPackType.Binary:
                writer.WriteBase64StringValue(token.Bytes);
                break;
            case MsgPackType.Array:
                if (depth > HubProtocolConstants.MaxDepth)
                {
                    error = $"Arguments are nested deeper than {HubProtocolConstants.MaxDepth} levels.";
                    return false;
                }

                writer.WriteStartArray();
                for (var i = 0; i < token.Count; i++)
                {
                    if (!TryWriteJson(ref reader, writer, depth + 1, out error))
                    {
                        return false;
                    }
                }

                writer.WriteEndArray();
                break;
            case MsgPackType.Map:
                if (depth > HubProtocolConstants.MaxDepth)
                {
                    error = $"Arguments are nested deeper than {HubProtocolConstants.MaxDepth} levels.";
                    return false;
                }

                writer.WriteStartObject();
                for (var i = 0; i < token.Count; i++)
                {
                    if (!reader.TryRead(out var key) || key.Type != MsgPackType.String)
                    {
                        error = "MessagePack map keys must be strings to convert to JSON.";
                        return false;
                    }

                    if (!Utf8.IsValid(key.Bytes))
                    {
                        error = "MessagePack string is not valid UTF-8.";
                        return false;
                    }

                    writer.WritePropertyName(key.Bytes);
                    if (!TryWriteJson(ref reader, writer, depth + 1, out error))
                    {
                        return false;
                    }
                }

                writer.WriteEndObject();
                break;
            default:
                error = "MessagePack extension types (e.g. timestamps) are not supported; send them as strings or numbers.";
                return false;
        }

        error = null;
        return true;
    }

    // Converts one complete JSON value to MessagePack: integral numbers as integers, others as float64.
    public static void WriteMessagePack(ReadOnlySpan<byte> json, ref MessagePackWriter writer)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = HubProtocolConstants.MaxDepth });
            if (!reader.Read())
            {
                throw new ArgumentException("JSON value is empty.", nameof(json));
            }

            WriteValue(ref reader, ref writer);
            if (reader.Read())
            {
                throw new ArgumentException("JSON has data after the value.", nameof(json));
            }
        }
        catch (JsonException ex)
        {
            throw new ArgumentException("Value is not valid JSON.", nameof(json), ex);
        }
    }

    private static void WriteValue(ref Utf8JsonReader reader, ref MessagePackWriter writer)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartArray:
                writer.WriteArrayHeader(CountChildren(reader));
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    WriteValue(ref reader, ref writer);
                }

                break;
            case JsonTokenType.StartObject:
                writer.WriteMapHeader(CountChildren(reader));
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    WriteString(ref reader, ref writer);
                    reader.Read();
                    WriteValue(ref reader, ref writer);
                }

                break;
            case JsonTokenType.String:
                WriteString(ref reader, ref writer);
                break;
            case JsonTokenType.Number:
                if (reader.TryGetInt64(out var l))
                {
                    writer.Write(l);
                }
                else if (reader.TryGetUInt64(out var ul))
                {
                    writer.Write(ul);
                }
                else if (reader.TryGetDouble(out var d) && double.IsFinite(d))
                {
                    writer.Write(d);
                }
                else
                {
                    throw new ArgumentException("JSON number is out of range.");
                }

                break;
            case JsonTokenType.True:
                writer.Write(true);
                break;
            case JsonTokenType.False:
                writer.Write(false);
                break;
            case JsonTokenType.Null:
                writer.WriteNil();
                break;
            default:
                throw new ArgumentException($"Unexpected JSON token {reader.TokenType}.");
        }
    }

    // MessagePack headers need the element count up front, so a copy of the reader counts the direct children.
    private static int CountChildren(Utf8JsonReader reader)
    {
        var depth = reader.CurrentDepth;
        var count = 0;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (reader.TokenType == JsonTokenType.PropertyName)
            {
                reader.Read();
            }

            reader.Skip();
            count++;
        }

        return count;
    }

    private static void WriteString(ref Utf8JsonReader reader, ref MessagePackWriter writer)
    {
        if (!reader.ValueIsEscaped)
        {
            writer.WriteString(reader.ValueSpan);
            return;
        }

        // Unescaped text is never longer than its escaped form. (A pooled array, not stackalloc: the
        // writer is a ref struct, so the compiler will not let a stack span flow into it.)
        var rented = ArrayPool<byte>.Shared.Rent(reader.ValueSpan.Length);
        try
        {
            var written = reader.CopyString(rented);
            writer.WriteString(rented.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
