using System.Buffers;
using System.Text;
using FunctionsGateway.SignalR.Serverless;
using MessagePack;

namespace FunctionsGateway.Tests.SignalR.Serverless;

public class HubCompletionWriterTests
{
    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static byte[] Write(Action<ArrayBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    // Splits a VarInt-prefixed frame, checking the prefix matches the body length.
    private static byte[] Unframe(byte[] frame)
    {
        var length = 0;
        var shift = 0;
        var i = 0;
        byte b;
        do
        {
            b = frame[i++];
            length |= (b & 0x7f) << shift;
            shift += 7;
        }
        while ((b & 0x80) != 0);

        Assert.Equal(frame.Length - i, length);
        return frame[i..];
    }

    [Fact]
    public void Json_result_completion_is_framed_with_a_record_separator()
    {
        var bytes = Write(b => HubCompletionWriter.WriteResult(b, HubProtocolKind.Json, "1", Utf8("42")));

        Assert.Equal(Utf8("{\"type\":3,\"invocationId\":\"1\",\"result\":42}\u001e"), bytes);
    }

    [Fact]
    public void Json_result_is_written_as_raw_json()
    {
        var bytes = Write(b => HubCompletionWriter.WriteResult(b, HubProtocolKind.Json, "ab", Utf8("{\"ok\":true,\"payload\":{\"s\":\"é<&>\"}}")));

        Assert.Equal("{\"type\":3,\"invocationId\":\"ab\",\"result\":{\"ok\":true,\"payload\":{\"s\":\"é<&>\"}}}\u001e", Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void Json_error_completion_bytes()
    {
        var bytes = Write(b => HubCompletionWriter.WriteError(b, HubProtocolKind.Json, "1", "it \"failed\""));

        Assert.Equal(Utf8("{\"type\":3,\"invocationId\":\"1\",\"error\":\"it \\\"failed\\\"\"}\u001e"), bytes);
    }

    [Fact]
    public void Json_void_completion_bytes()
    {
        var bytes = Write(b => HubCompletionWriter.WriteVoid(b, HubProtocolKind.Json, "1"));

        Assert.Equal(Utf8("{\"type\":3,\"invocationId\":\"1\"}\u001e"), bytes);
    }

    [Fact]
    public void Message_pack_result_completion_matches_the_spec_bytes()
    {
        // [3, {}, "1", 3, 42] = 95 03 80 A1 31 03 2A, prefixed with its length 7.
        var bytes = Write(b => HubCompletionWriter.WriteResult(b, HubProtocolKind.MessagePack, "1", Utf8("42")));

        Assert.Equal(new byte[] { 0x07, 0x95, 0x03, 0x80, 0xA1, 0x31, 0x03, 0x2A }, bytes);
    }

    [Fact]
    public void Message_pack_error_completion_matches_the_spec_bytes()
    {
        // [3, {}, "1", 1, "boom"]
        var bytes = Write(b => HubCompletionWriter.WriteError(b, HubProtocolKind.MessagePack, "1", "boom"));

        Assert.Equal(new byte[] { 0x0B, 0x95, 0x03, 0x80, 0xA1, 0x31, 0x01, 0xA4, 0x62, 0x6F, 0x6F, 0x6D }, bytes);
    }

    [Fact]
    public void Message_pack_void_completion_matches_the_spec_bytes()
    {
        // [3, {}, "1", 2]
        var bytes = Write(b => HubCompletionWriter.WriteVoid(b, HubProtocolKind.MessagePack, "1"));

        Assert.Equal(new byte[] { 0x06, 0x94, 0x03, 0x80, 0xA1, 0x31, 0x02 }, bytes);
    }

    [Fact]
    public void Message_pack_result_converts_json_types()
    {
        var json = "{\"ok\":true,\"no\":false,\"n\":null,\"i\":-5,\"big\":18446744073709551615,\"d\":1.5,\"whole\":2.0,\"s\":\"a\\u00e9\\n\",\"a\":[1,[],{}]}";
        var body = Unframe(Write(b => HubCompletionWriter.WriteResult(b, HubProtocolKind.MessagePack, "id", Utf8(json))));

        var reader = new MessagePackReader(body);
        Assert.Equal(5, reader.ReadArrayHeader());
        Assert.Equal(3, reader.ReadInt32());
        Assert.Equal(0, reader.ReadMapHeader());
        Assert.Equal("id", reader.ReadString());
        Assert.Equal(3, reader.ReadInt32());
        Assert.Equal(9, reader.ReadMapHeader());
        Assert.Equal("ok", reader.ReadString());
        Assert.True(reader.ReadBoolean());
        Assert.Equal("no", reader.ReadString());
        Assert.False(reader.ReadBoolean());
        Assert.Equal("n", reader.ReadString());
        Assert.True(reader.TryReadNil());
        Assert.Equal("i", reader.ReadString());
        Assert.Equal(MessagePackType.Integer, reader.NextMessagePackType);
        Assert.Equal(-5, reader.ReadInt64());
        Assert.Equal("big", reader.ReadString());
        Assert.Equal(ulong.MaxValue, reader.ReadUInt64());
        Assert.Equal("d", reader.ReadString());
        Assert.Equal(MessagePackType.Float, reader.NextMessagePackType);
        Assert.Equal(1.5, reader.ReadDouble());
        Assert.Equal("whole", reader.ReadString());
        Assert.Equal(MessagePackType.Float, reader.NextMessagePackType);
        Assert.Equal(2.0, reader.ReadDouble());
        Assert.Equal("s", reader.ReadString());
        Assert.Equal("aé\n", reader.ReadString());
        Assert.Equal("a", reader.ReadString());
        Assert.Equal(3, reader.ReadArrayHeader());
        Assert.Equal(1, reader.ReadInt32());
        Assert.Equal(0, reader.ReadArrayHeader());
        Assert.Equal(0, reader.ReadMapHeader());
        Assert.True(reader.End);
    }

    [Fact]
    public void Long_message_pack_frames_use_a_multi_byte_length_prefix()
    {
        var text = new string('x', 300);
        var bytes = Write(b => HubCompletionWriter.WriteError(b, HubProtocolKind.MessagePack, "1", text));

        Assert.True((bytes[0] & 0x80) != 0);
        var body = Unframe(bytes);
        var reader = new MessagePackReader(body);
        reader.ReadArrayHeader();
        reader.Skip();
        reader.Skip();
        reader.Skip();
        Assert.Equal(1, reader.ReadInt32());
        Assert.Equal(text, reader.ReadString());
    }

    [Theory]
    [InlineData(HubProtocolKind.Json, "")]
    [InlineData(HubProtocolKind.Json, "{")]
    [InlineData(HubProtocolKind.Json, "1 2")]
    [InlineData(HubProtocolKind.MessagePack, "")]
    [InlineData(HubProtocolKind.MessagePack, "[1,")]
    [InlineData(HubProtocolKind.MessagePack, "1 2")]
    public void Invalid_result_json_throws_argument_exception(HubProtocolKind protocol, string json)
    {
        Assert.Throws<ArgumentException>(() => HubCompletionWriter.WriteResult(new ArrayBufferWriter<byte>(), protocol, "1", Utf8(json)));
    }

    [Theory]
    [InlineData(HubProtocolKind.Json)]
    [InlineData(HubProtocolKind.MessagePack)]
    public void Invalid_result_leaves_the_output_untouched(HubProtocolKind protocol)
    {
        var buffer = new ArrayBufferWriter<byte>();
        HubCompletionWriter.WriteVoid(buffer, protocol, "1");
        var before = buffer.WrittenSpan.ToArray();

        Assert.Throws<ArgumentException>(() => HubCompletionWriter.WriteResult(buffer, protocol, "2", Utf8("{\"a\":[1,2}")));

        Assert.Equal(before, buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Invalid_utf8_result_is_refused()
    {
        Assert.Throws<ArgumentException>(() => HubCompletionWriter.WriteResult(new ArrayBufferWriter<byte>(), HubProtocolKind.Json, "1", [0x22, 0xC3, 0x28, 0x22]));
    }

    [Fact]
    public void Results_nested_deeper_than_64_levels_are_refused()
    {
        var deep = Utf8(new string('[', 65) + new string(']', 65));

        Assert.Throws<ArgumentException>(() => HubCompletionWriter.WriteResult(new ArrayBufferWriter<byte>(), HubProtocolKind.Json, "1", deep));
        Assert.Throws<ArgumentException>(() => HubCompletionWriter.WriteResult(new ArrayBufferWriter<byte>(), HubProtocolKind.MessagePack, "1", deep));
    }

    [Fact]
    public void Frames_are_appended_after_existing_output()
    {
        var buffer = new ArrayBufferWriter<byte>();
        HubCompletionWriter.WriteVoid(buffer, HubProtocolKind.MessagePack, "1");
        HubCompletionWriter.WriteVoid(buffer, HubProtocolKind.Json, "2");

        Assert.Equal(
            [0x06, 0x94, 0x03, 0x80, 0xA1, 0x31, 0x02, .. Utf8("{\"type\":3,\"invocationId\":\"2\"}\u001e")],
            buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Json_invocation_frame_bytes()
    {
        var bytes = Write(b => HubInvocationWriter.WriteInvocation(b, HubProtocolKind.Json, "event", Utf8("[{\"event\":\"tick\",\"payload\":{},\"seq\":1}]")));

        Assert.Equal(Utf8("{\"type\":1,\"target\":\"event\",\"arguments\":[{\"event\":\"tick\",\"payload\":{},\"seq\":1}]}\u001e"), bytes);
    }

    [Fact]
    public void Message_pack_invocation_frame_matches_the_spec_bytes()
    {
        // [1, {}, nil, "event", [1], []]
        var bytes = Write(b => HubInvocationWriter.WriteInvocation(b, HubProtocolKind.MessagePack, "event", Utf8("[1]")));

        Assert.Equal(new byte[] { 0x0D, 0x96, 0x01, 0x80, 0xC0, 0xA5, 0x65, 0x76, 0x65, 0x6E, 0x74, 0x91, 0x01, 0x90 }, bytes);
    }

    [Fact]
    public void Json_to_message_pack_to_json_round_trips_invocation_arguments()
    {
        const string args = "[{\"event\":\"tick\",\"payload\":{\"n\":-12,\"f\":0.25,\"s\":\"é\",\"list\":[true,false,null],\"o\":{}},\"seq\":123456789012}]";
        var frame = Write(b => HubInvocationWriter.WriteInvocation(b, HubProtocolKind.MessagePack, "event", Utf8(args)));

        Assert.True(HubInvocationReader.TryRead(Unframe(frame), HubProtocolKind.MessagePack, out var invocation, out var error), error);
        Assert.Null(invocation.InvocationId);
        Assert.Equal("event", invocation.Target);
        Assert.Equal(args, Encoding.UTF8.GetString(invocation.Arguments.Span));
    }

    [Fact]
    public void Invocation_arguments_must_be_a_json_array()
    {
        Assert.Throws<ArgumentException>(() => HubInvocationWriter.WriteInvocation(new ArrayBufferWriter<byte>(), HubProtocolKind.Json, "event", Utf8("{}")));
        Assert.Throws<ArgumentException>(() => HubInvocationWriter.WriteInvocation(new ArrayBufferWriter<byte>(), HubProtocolKind.MessagePack, "event", Utf8("{}")));
        Assert.Throws<ArgumentException>(() => HubInvocationWriter.WriteInvocation(new ArrayBufferWriter<byte>(), HubProtocolKind.Json, "event", Utf8("[1")));
    }
}
