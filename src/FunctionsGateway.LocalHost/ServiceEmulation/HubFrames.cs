using System.Buffers;
using System.Text.Json;
using FunctionsGateway.SignalR.Serverless;

namespace FunctionsGateway.LocalHost.ServiceEmulation;

/// <summary>Splits a client's byte stream into hub messages: JSON ends each with 0x1E, MessagePack prefixes a VarInt length.</summary>
internal static class HubFrames
{
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, HubProtocolKind protocol, int maxBytes, out byte[] frame, out bool tooLarge)
    {
        frame = [];
        tooLarge = false;
        if (protocol == HubProtocolKind.Json)
        {
            var end = buffer.PositionOf(HubProtocolConstants.RecordSeparator);
            if (end is null)
            {
                tooLarge = buffer.Length > maxBytes;
                return false;
            }

            frame = buffer.Slice(0, end.Value).ToArray();
            buffer = buffer.Slice(buffer.GetPosition(1, end.Value));
            return true;
        }

        var reader = new SequenceReader<byte>(buffer);
        long length = 0;
        var shift = 0;
        for (var i = 0; ; i++)
        {
            if (i == 5 || !reader.TryRead(out var b))
            {
                tooLarge = i == 5;
                return false;
            }

            length |= (long)(b & 0x7F) << shift;
            shift += 7;
            if ((b & 0x80) == 0)
            {
                break;
            }
        }

        if (length > maxBytes)
        {
            tooLarge = true;
            return false;
        }

        if (reader.Remaining < length)
        {
            return false;
        }

        frame = buffer.Slice(reader.Position, length).ToArray();
        buffer = buffer.Slice(buffer.GetPosition(length, reader.Position));
        return true;
    }

    /// <summary>The message type (1 = invocation, 6 = ping, 7 = close, ...), or -1 when it cannot be told.</summary>
    public static int MessageType(ReadOnlySpan<byte> frame, HubProtocolKind protocol)
    {
        if (protocol == HubProtocolKind.MessagePack)
        {
            // fixarray/array16/array32 header, then the type as a positive fixint.
            var offset = frame.Length > 0 && (frame[0] & 0xF0) == 0x90 ? 1 : frame.Length > 0 && frame[0] == 0xDC ? 3 : frame.Length > 0 && frame[0] == 0xDD ? 5 : -1;
            return offset > 0 && frame.Length > offset && frame[offset] <= 0x7F ? frame[offset] : -1;
        }

        try
        {
            var reader = new Utf8JsonReader(frame);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return -1;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isType = reader.ValueTextEquals("type"u8);
                if (!reader.Read())
                {
                    return -1;
                }

                if (isType)
                {
                    return reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var type) ? type : -1;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return -1;
    }

    /// <summary>The invocation id of a stream invocation, so it can be refused with a completion.</summary>
    public static bool TryGetInvocationId(ReadOnlySpan<byte> frame, HubProtocolKind protocol, out string invocationId)
    {
        invocationId = string.Empty;
        if (protocol != HubProtocolKind.Json)
        {
            return false;
        }

        try
        {
            using var doc = JsonDocument.Parse(frame.ToArray());
            if (doc.RootElement.TryGetProperty("invocationId", out var id) && id.ValueKind == JsonValueKind.String)
            {
                invocationId = id.GetString()!;
                return true;
            }
        }
        catch (JsonException)
        {
        }

        return false;
    }
}
