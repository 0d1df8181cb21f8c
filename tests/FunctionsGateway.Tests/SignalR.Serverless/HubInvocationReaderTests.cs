using System.Buffers;
using System.Text;
using FunctionsGateway.SignalR.Serverless;
using MessagePack;

namespace FunctionsGateway.Tests.SignalR.Serverless;

public class HubInvocationReaderTests
{
    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static string ArgsText(HubInvocation invocation) => Encoding.UTF8.GetString(invocation.Arguments.Span);

    private delegate void MsgPackBody(ref MessagePackWriter writer);

    // Test bodies are produced by MessagePack-CSharp, an implementation independent of the reader under test.
    private static byte[] MsgPack(MsgPackBody body)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        body(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] MsgPackInvocation(string? id, string target, MsgPackBody args, int? streamIds = 0, int type = 1) => MsgPack((ref MessagePackWriter w) =>
    {
        w.WriteArrayHeader(streamIds is null ? 5 : 6);
        w.Write(type);
        w.WriteMapHeader(0);
        if (id is null)
        {
            w.WriteNil();
        }
        else
        {
            w.Write(id);
        }

        w.Write(target);
        args(ref w);
        if (streamIds is { } count)
        {
            w.WriteArrayHeader(count);
            for (var i = 0; i < count; i++)
            {
                w.Write(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    });

    [Fact]
    public void Json_blocking_invocation_is_parsed_with_raw_arguments()
    {
        var body = Utf8("{\"type\":1,\"invocationId\":\"7\",\"target\":\"req\",\"arguments\":[{\"method\":\"connect\",\"params\":{\"a\":[1,2]}}]}");

        Assert.True(HubInvocationReader.TryRead(body, HubProtocolKind.Json, out var invocation, out var error), error);
        Assert.Equal(1, invocation.Type);
        Assert.Equal("7", invocation.InvocationId);
        Assert.True(invocation.IsBlocking);
        Assert.Equal("req", invocation.Target);
        Assert.Equal(1, invocation.ArgumentCount);
        Assert.Equal("[{\"method\":\"connect\",\"params\":{\"a\":[1,2]}}]", ArgsText(invocation));
    }

    [Fact]
    public void Json_body_with_one_trailing_record_separator_is_accepted()
    {
        var body = Utf8("{\"type\":1,\"invocationId\":\"1\",\"target\":\"req\",\"arguments\":[]}\u001e");

        Assert.True(HubInvocationReader.TryRead(body, HubProtocolKind.Json, out var invocation, out _));
        Assert.Equal("[]", ArgsText(invocation));
        Assert.Equal(0, invocation.ArgumentCount);
    }

    [Fact]
    public void Json_body_with_two_record_separators_is_rejected()
    {
        var body = Utf8("{\"type\":1,\"target\":\"req\",\"arguments\":[]}\u001e\u001e");

        Assert.False(HubInvocationReader.TryRead(body, HubProtocolKind.Json, out _, out _));
    }

    [Theory]
    [InlineData("{\"type\":1,\"target\":\"req\",\"arguments\":[1]}")]
    [InlineData("{\"type\":1,\"invocationId\":null,\"target\":\"req\",\"arguments\":[1]}")]
    [InlineData("{\"type\":1,\"invocationId\":\"\",\"target\":\"req\",\"arguments\":[1]}")]
    public void Json_invocation_without_an_id_is_non_blocking(string json)
    {
        Assert.True(HubInvocationReader.TryRead(Utf8(json), HubProtocolKind.Json, out var invocation, out _));
        Assert.Null(invocation.InvocationId);
        Assert.False(invocation.IsBlocking);
    }

    [Fact]
    public void Json_property_order_headers_unknown_properties_and_empty_stream_ids_do_not_matter()
    {
        var body = Utf8("{\"arguments\":[\"a\", 2],\"headers\":{\"k\":\"v\"},\"x\":{\"y\":[1]},\"streamIds\":[],\"target\":\"req\",\"invocationId\":\"9\",\"type\":1}");

        Assert.True(HubInvocationReader.TryRead(body, HubProtocolKind.Json, out var invocation, out var error), error);
        Assert.Equal("9", invocation.InvocationId);
        Assert.Equal("[\"a\", 2]", ArgsText(invocation));
        Assert.Equal(2, invocation.ArgumentCount);
    }

    [Fact]
    public void Json_stream_invocation_is_rejected_with_a_clear_error()
    {
        var body = Utf8("{\"type\":4,\"invocationId\":\"1\",\"target\":\"req\",\"arguments\":[]}");

        Assert.False(HubInvocationReader.TryRead(body, HubProtocolKind.Json, out var invocation, out var error));
        Assert.Null(invocation);
        Assert.Contains("StreamInvocation", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_invocation_with_stream_ids_is_rejected()
    {
        var body = Utf8("{\"type\":1,\"invocationId\":\"1\",\"target\":\"req\",\"arguments\":[],\"streamIds\":[\"0\"]}");

        Assert.False(HubInvocationReader.TryRead(body, HubProtocolKind.Json, out _, out var error));
        Assert.Contains("stream", error, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("{\"type\":6}")]
    [InlineData("{\"type\":3,\"invocationId\":\"1\",\"result\":1}")]
    [InlineData("{\"type\":7}")]
    public void Json_non_invocation_messages_are_rejected(string json)
    {
        Assert.False(HubInvocationReader.TryRead(Utf8(json), HubProtocolKind.Json, out _, out var error));
        Assert.Contains("type", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\u001e")]
    [InlineData("{")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{\"type\":1}")]
    [InlineData("{\"type\":1,\"target\":\"req\"}")]
    [InlineData("{\"type\":1,\"arguments\":[]}")]
    [InlineData("{\"type\":1,\"target\":\"\",\"arguments\":[]}")]
    [InlineData("{\"type\":1,\"target\":5,\"arguments\":[]}")]
    [InlineData("{\"type\":1,\"target\":\"req\",\"arguments\":{}}")]
    [InlineData("{\"type\":1,\"target\":\"req\",\"arguments\":[],\"invocationId\":5}")]
    [InlineData("{\"type\":\"1\",\"target\":\"req\",\"arguments\":[]}")]
    [InlineData("{\"target\":\"req\",\"arguments\":[]}")]
    [InlineData("{\"type\":1,\"target\":\"req\",\"arguments\":[1,]}")]
    [InlineData("{\"type\":1,\"target\":\"req\",\"arguments\":[]} x")]
    [InlineData("{\"type\":1,\"target\":\"req\",\"arguments\":[]}{\"type\":1}")]
    public void Malformed_json_bodies_return_false_with_an_error(string json)
    {
        Assert.False(HubInvocationReader.TryRead(Utf8(json), HubProtocolKind.Json, out var invocation, out var error));
        Assert.Null(invocation);
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Invalid_utf8_in_a_json_body_returns_false()
    {
        byte[] body = [.. Utf8("{\"type\":1,\"target\":\"req\",\"arguments\":[\""), 0xC3, 0x28, .. Utf8("\"]}")];

        Assert.False(HubInvocationReader.TryRead(body, HubProtocolKind.Json, out _, out _));
    }

    [Fact]
    public void Deeply_nested_json_arguments_are_rejected()
    {
        var deep = new string('[', 100) + new string(']', 100);

        Assert.False(HubInvocationReader.TryRead(Utf8($"{{\"type\":1,\"target\":\"req\",\"arguments\":[{deep}]}}"), HubProtocolKind.Json, out _, out _));
    }

    [Fact]
    public void Hand_encoded_message_pack_invocation_is_parsed()
    {
        // [1, {}, "1", "req", [42]]
        byte[] body = [0x95, 0x01, 0x80, 0xA1, 0x31, 0xA3, 0x72, 0x65, 0x71, 0x91, 0x2A];

        Assert.True(HubInvocationReader.TryRead(body, HubProtocolKind.MessagePack, out var invocation, out var error), error);
        Assert.Equal("1", invocation.InvocationId);
        Assert.Equal("req", invocation.Target);
        Assert.Equal("[42]", ArgsText(invocation));
    }

    [Fact]
    public void Message_pack_invocation_arguments_are_converted_to_json()
    {
        var body = MsgPackInvocation("abc", "req", (ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(1);
            w.WriteMapHeader(2);
            w.Write("method");
            w.Write("connect");
            w.Write("params");
            w.WriteMapHeader(11);
            w.Write("nil"); w.WriteNil();
            w.Write("t"); w.Write(true);
            w.Write("f"); w.Write(false);
            w.Write("small"); w.Write(5);
            w.Write("neg"); w.Write(-300);
            w.Write("i64"); w.Write(long.MinValue);
            w.Write("u64"); w.Write(ulong.MaxValue);
            w.Write("f32"); w.Write(1.5f);
            w.Write("f64"); w.Write(0.1d);
            w.Write("bin"); w.Write(new byte[] { 1, 2, 3, 255 });
            w.Write("arr"); w.WriteArrayHeader(3); w.Write("é\"\n"); w.WriteArrayHeader(0); w.WriteMapHeader(0);
        });

        Assert.True(HubInvocationReader.TryRead(body, HubProtocolKind.MessagePack, out var invocation, out var error), error);
        Assert.Equal("abc", invocation.InvocationId);
        Assert.Equal(1, invocation.ArgumentCount);
        Assert.Equal(
            "[{\"method\":\"connect\",\"params\":{\"nil\":null,\"t\":true,\"f\":false,\"small\":5,\"neg\":-300,"
            + "\"i64\":-9223372036854775808,\"u64\":18446744073709551615,\"f32\":1.5,\"f64\":0.1,\"bin\":\"AQID/w==\","
            + "\"arr\":[\"é\\\"\\n\",[],{}]}}]",
            ArgsText(invocation));
    }

    [Fact]
    public void Message_pack_invocation_without_id_is_non_blocking()
    {
        var body = MsgPackInvocation(null, "req", (ref MessagePackWriter w) => w.WriteArrayHeader(0));

        Assert.True(HubInvocationReader.TryRead(body, HubProtocolKind.MessagePack, out var invocation, out _));
        Assert.Null(invocation.InvocationId);
        Assert.Equal("[]", ArgsText(invocation));
    }

    [Fact]
    public void Message_pack_invocation_without_stream_ids_element_is_accepted()
    {
        var body = MsgPackInvocation("1", "req", (ref MessagePackWriter w) => { w.WriteArrayHeader(1); w.Write("x"); }, streamIds: null);

        Assert.True(HubInvocationReader.TryRead(body, HubProtocolKind.MessagePack, out var invocation, out _));
        Assert.Equal("[\"x\"]", ArgsText(invocation));
    }

    [Fact]
    public void Message_pack_headers_are_skipped()
    {
        var body = MsgPack((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(6);
            w.Write(1);
            w.WriteMapHeader(1);
            w.Write("k");
            w.Write("v");
            w.Write("1");
            w.Write("req");
            w.WriteArrayHeader(0);
            w.WriteArrayHeader(0);
        });

        Assert.True(HubInvocationReader.TryRead(body, HubProtocolKind.MessagePack, out var invocation, out var error), error);
        Assert.Equal("req", invocation.Target);
    }

    [Fact]
    public void Message_pack_stream_invocation_is_rejected()
    {
        var body = MsgPackInvocation("1", "req", (ref MessagePackWriter w) => w.WriteArrayHeader(0), type: 4);

        Assert.False(HubInvocationReader.TryRead(body, HubProtocolKind.MessagePack, out _, out var error));
        Assert.Contains("StreamInvocation", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Message_pack_invocation_with_stream_ids_is_rejected()
    {
        var body = MsgPackInvocation("1", "req", (ref MessagePackWriter w) => w.WriteArrayHeader(0), streamIds: 1);

        Assert.False(HubInvocationReader.TryRead(body, HubProtocolKind.MessagePack, out _, out var error));
        Assert.Contains("stream", error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Message_pack_map_with_non_string_keys_is_rejected()
    {
        var body = MsgPackInvocation("1", "req", (ref MessagePackWriter w) => { w.WriteArrayHeader(1); w.WriteMapHeader(1); w.Write(1); w.Write(2); });

        Assert.False(HubInvocationReader.TryRead(body, HubProtocolKind.MessagePack, out _, out var error));
        Assert.Contains("keys", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Message_pack_extension_values_are_rejected()
    {
        var body = MsgPackInvocation("1", "req", (ref MessagePackWriter w) => { w.WriteArrayHeader(1); w.Write(new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc)); });

        Assert.False(HubInvocationReader.TryRead(body, HubProtocolKind.MessagePack, out _, out var error));
        Assert.Contains("extension", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Message_pack_nan_is_rejected()
    {
        var body = MsgPackInvocation("1", "req", (ref MessagePackWriter w) => { w.WriteArrayHeader(1); w.Write(double.NaN); });

        Assert.False(HubInvocationReader.TryRead(body, HubProtocolKind.MessagePack, out _, out _));
    }

    [Fact]
    public void Message_pack_invalid_utf8_string_is_rejected()
    {
        var body = MsgPackInvocation("1", "req", (ref MessagePackWriter w) => { w.WriteArrayHeader(1); w.WriteString(new byte[] { 0xC3, 0x28 }); });

        Assert.False(HubInvocationReader.TryRead(body, HubProtocolKind.MessagePack, out _, out var error));
        Assert.Contains("UTF-8", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Deeply_nested_message_pack_arguments_are_rejected()
    {
        var body = MsgPackInvocation("1", "req", (ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(1);
            for (var i = 0; i < 100; i++)
            {
                w.WriteArrayHeader(1);
            }

            w.WriteNil();
        });

        Assert.False(HubInvocationReader.TryRead(body, HubProtocolKind.MessagePack, out _, out var error));
        Assert.Contains("nested", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_truncation_of_a_message_pack_body_returns_false()
    {
        var body = MsgPackInvocation("1", "req", (ref MessagePackWriter w) => { w.WriteArrayHeader(2); w.Write("text"); w.Write(long.MaxValue); });
        Assert.True(HubInvocationReader.TryRead(body, HubProtocolKind.MessagePack, out _, out _));

        for (var length = 0; length < body.Length; length++)
        {
            Assert.False(HubInvocationReader.TryRead(body.AsSpan(0, length), HubProtocolKind.MessagePack, out _, out var error));
            Assert.NotEmpty(error);
        }
    }

    [Fact]
    public void Framed_message_pack_body_is_rejected()
    {
        var body = MsgPackInvocation("1", "req", (ref MessagePackWriter w) => w.WriteArrayHeader(0));
        byte[] framed = [(byte)body.Length, .. body];

        Assert.False(HubInvocationReader.TryRead(framed, HubProtocolKind.MessagePack, out _, out _));
    }

    [Fact]
    public void Message_pack_body_with_trailing_data_is_rejected()
    {
        byte[] body = [.. MsgPackInvocation("1", "req", (ref MessagePackWriter w) => w.WriteArrayHeader(0)), 0xC0];

        Assert.False(HubInvocationReader.TryRead(body, HubProtocolKind.MessagePack, out _, out _));
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0xC1 })]
    [InlineData(new byte[] { 0x01 })]
    [InlineData(new byte[] { 0x90 })]
    [InlineData(new byte[] { 0x95, 0xA1, 0x31 })]
    [InlineData(new byte[] { 0xDD, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 })]
    [InlineData(new byte[] { 0x95, 0x01, 0xC0, 0xC0, 0xA1, 0x72, 0x90 })]
    [InlineData(new byte[] { 0x95, 0x01, 0x80, 0x01, 0xA1, 0x72, 0x90 })]
    [InlineData(new byte[] { 0x95, 0x01, 0x80, 0xC0, 0xA0, 0x90 })]
    [InlineData(new byte[] { 0x95, 0x01, 0x80, 0xC0, 0xA1, 0x72, 0x80 })]
    [InlineData(new byte[] { 0x94, 0x01, 0x80, 0xC0, 0xA1, 0x72 })]
    [InlineData(new byte[] { 0x95, 0x01, 0x80, 0xC0, 0xA1, 0x72, 0x91, 0xDB, 0x7F, 0xFF, 0xFF, 0xFF })]
    public void Malformed_message_pack_bodies_return_false_with_an_error(byte[] body)
    {
        Assert.False(HubInvocationReader.TryRead(body, HubProtocolKind.MessagePack, out var invocation, out var error));
        Assert.Null(invocation);
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Random_bytes_never_throw_in_either_protocol()
    {
        var random = new Random(1234);
        var valid = MsgPackInvocation("1", "req", (ref MessagePackWriter w) => { w.WriteArrayHeader(1); w.WriteMapHeader(1); w.Write("k"); w.Write(1.25); });
        for (var i = 0; i < 2000; i++)
        {
            var body = new byte[random.Next(0, 48)];
            random.NextBytes(body);
            HubInvocationReader.TryRead(body, HubProtocolKind.MessagePack, out _, out _);
            HubInvocationReader.TryRead(body, HubProtocolKind.Json, out _, out _);

            // Mutations of a valid body exercise deeper paths than pure noise.
            var mutated = (byte[])valid.Clone();
            mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            HubInvocationReader.TryRead(mutated, HubProtocolKind.MessagePack, out _, out _);
        }
    }
}
