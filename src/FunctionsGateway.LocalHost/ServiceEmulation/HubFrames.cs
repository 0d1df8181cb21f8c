using System.Buffers;
using System.Text.Json;
using FunctionsGateway.SignalR.Serverless;

namespace FunctionsGateway.LocalHost.ServiceEmulation;

/// <summary>What <see cref="HubFrames.TryRead"/> found at the start of the buffer.</summary>
internal enum FrameRead
{
    /// <summary>A whole message, now taken off the buffer.</summary>
    Frame,

    /// <summary>Not a whole message yet: wait for more bytes.</summary>
    Incomplete,

    /// <summary>The message is (or announces that it is) larger than the limit.</summary>
    TooLarge,

    /// <summary>A MessagePack length prefix longer than the five bytes a VarInt for 2 GiB needs.</summary>
    BadLengthPrefix,
}

/// <summary>Splits a client's byte stream into hub messages: JSON ends each with 0x1E, MessagePack prefixes a VarInt length.</summary>
internal static class HubFrames
{
    /// <summary>The longest VarInt length prefix the hub protocol allows (it encodes up to 2 GiB - 1).</summary>
    public const int MaxLengthPrefixBytes = 5;

    public static FrameRead TryRead(ref ReadOnlySequence<byte> buffer, HubProtocolKind protocol, int maxBytes, out byte[] frame)
    {
        frame = [];
        if (protocol == HubProtocolKind.Json)
        {
            var end = buffer.PositionOf(HubProtocolConstants.RecordSeparator);
            if (end is null)
            {
                return buffer.Length > maxBytes ? FrameRead.TooLarge : FrameRead.Incomplete;
            }

            if (buffer.Slice(0, end.Value).Length > maxBytes)
            {
                return FrameRead.TooLarge;
            }

            frame = buffer.Slice(0, end.Value).ToArray();
            buffer = buffer.Slice(buffer.GetPosition(1, end.Value));
            return FrameRead.Frame;
        }

        var reader = new SequenceReader<byte>(buffer);
        long length = 0;
        for (var i = 0; ; i++)
        {
            if (i == MaxLengthPrefixBytes)
            {
                // A sixth byte: no valid message has one, and waiting for the "rest" would hold the connection open.
                return FrameRead.BadLengthPrefix;
            }

            if (!reader.TryRead(out var b))
            {
                return FrameRead.Incomplete;
            }

            length |= (long)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                break;
            }
        }

        if (length > maxBytes)
        {
            return FrameRead.TooLarge;
        }

        if (reader.Remaining < length)
        {
            return FrameRead.Incomplete;
        }

        frame = buffer.Slice(reader.Position, length).ToArray();
        buffer = buffer.Slice(buffer.GetPosition(length, reader.Position));
        return FrameRead.Frame;
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
