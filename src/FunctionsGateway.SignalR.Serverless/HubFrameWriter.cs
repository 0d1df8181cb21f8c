using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;

namespace FunctionsGateway.SignalR.Serverless;

// Shared framing: JSON frames end with 0x1E; MessagePack frames start with a VarInt body length.
internal static class HubFrameWriter
{
    private const int MaxRetainedCapacity = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_body;

    public static JsonScratch BeginJson(IBufferWriter<byte> output, out Utf8JsonWriter writer)
    {
        var scratch = JsonScratch.Rent();
        writer = scratch.WriterFor(output);
        return scratch;
    }

    // Call only after the frame was written completely.
    public static void EndJson(IBufferWriter<byte> output, Utf8JsonWriter writer)
    {
        writer.Flush();
        output.GetSpan(1)[0] = HubProtocolConstants.RecordSeparator;
        output.Advance(1);
    }

    // The length prefix comes first, so MessagePack bodies are built aside and then copied.
    public static ArrayBufferWriter<byte> BeginMessagePack()
    {
        var buffer = t_body ?? new ArrayBufferWriter<byte>(256);
        t_body = null;
        buffer.ResetWrittenCount();
        return buffer;
    }

    public static void EndMessagePack(IBufferWriter<byte> output, ArrayBufferWriter<byte> body)
    {
        WriteVarInt(output, body.WrittenCount);
        output.Write(body.WrittenSpan);
    }

    public static void Release(ArrayBufferWriter<byte> body)
    {
        if (body.Capacity <= MaxRetainedCapacity)
        {
            t_body = body;
        }
    }

    public static void WriteVarInt(IBufferWriter<byte> output, int length)
    {
        var span = output.GetSpan(5);
        var value = (uint)length;
        var i = 0;
        do
        {
            var b = (byte)(value & 0x7f);
            value >>= 7;
            span[i++] = value > 0 ? (byte)(b | 0x80) : b;
        }
        while (value > 0);

        output.Advance(i);
    }

    // Callers validate before writing anything, so a bad value never leaves a partial frame in the caller's buffer.
    public static void ValidateJsonValue(ReadOnlySpan<byte> json, string paramName)
    {
        if (!Utf8.IsValid(json))
        {
            throw new ArgumentException("Value is not valid UTF-8.", paramName);
        }

        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = HubProtocolConstants.MaxDepth });
            if (!reader.Read())
            {
                throw new ArgumentException("Value is empty.", paramName);
            }

            reader.Skip();
            if (reader.Read())
            {
                throw new ArgumentException("Value has data after the JSON value.", paramName);
            }
        }
        catch (JsonException ex)
        {
            throw new ArgumentException("Value is not valid JSON.", paramName, ex);
        }
    }

    public static void RequireJsonArray(ReadOnlySpan<byte> json, string paramName)
    {
        var trimmed = json.TrimStart(" \t\r\n"u8);
        if (trimmed.IsEmpty || trimmed[0] != (byte)'[')
        {
            throw new ArgumentException("Arguments must be the UTF-8 JSON of an array.", paramName);
        }
    }
}
