using System.Buffers;
using System.Text.Json;
using FunctionsGateway.Client;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace FunctionsGateway.Tests.Client;

public sealed class HubValueConverterTests
{
    private const string Nested = """
        {
          "method": "sessions.patch",
          "params": {
            "key": "agent:main:child",
            "depth": 2,
            "big": 9007199254740993,
            "huge": 18446744073709551615,
            "negative": -42,
            "ratio": 0.25,
            "flags": [true, false, null],
            "empty": {},
            "none": [],
            "nested": [{"a": [1, [2, [3]]], "b": {"c": "ü→✓"}}],
            "nothing": null
          }
        }
        """;

    [Fact]
    public void Json_round_trips_through_plain_objects_unchanged()
    {
        var original = JsonAssert.Parse(Nested);

        var plain = HubValueConverter.ToPlainObject(original);
        var back = HubValueConverter.ToJsonElement(plain);

        JsonAssert.Equal(original, back);
    }

    [Fact]
    public void Plain_objects_use_string_keyed_dictionaries_arrays_and_primitives()
    {
        var plain = HubValueConverter.ToPlainObject(JsonAssert.Parse("""{"n": 3, "d": 1.5, "s": "x", "t": true, "z": null, "a": [1, "two"], "u": 18446744073709551615}"""));

        var map = Assert.IsType<Dictionary<string, object?>>(plain);
        Assert.Equal(3L, map["n"]);
        Assert.Equal(1.5, map["d"]);
        Assert.Equal("x", map["s"]);
        Assert.Equal(true, map["t"]);
        Assert.Null(map["z"]);
        Assert.Equal(new object?[] { 1L, "two" }, Assert.IsType<object?[]>(map["a"]));
        Assert.Equal(ulong.MaxValue, map["u"]);
    }

    [Fact]
    public void What_MessagePack_deserializes_as_object_converts_back_to_json()
    {
        // The shapes MessagePack's primitive object formatter produces: object-keyed maps, object arrays, narrow integers.
        var plain = new Dictionary<object, object?>
        {
            ["byte"] = (byte)7,
            ["sbyte"] = (sbyte)-7,
            ["short"] = (short)-300,
            ["ushort"] = (ushort)60000,
            ["int"] = -70000,
            ["uint"] = 4000000000u,
            ["long"] = long.MinValue,
            ["ulong"] = ulong.MaxValue,
            ["float"] = 0.5f,
            ["double"] = 2.25,
            ["bool"] = false,
            ["null"] = null,
            ["array"] = new object?[] { "a", (byte)1, new Dictionary<object, object?> { ["k"] = "v" } },
        };

        var json = HubValueConverter.ToJsonElement(plain);

        JsonAssert.Equal(JsonAssert.Parse("""
            {"byte": 7, "sbyte": -7, "short": -300, "ushort": 60000, "int": -70000, "uint": 4000000000,
             "long": -9223372036854775808, "ulong": 18446744073709551615, "float": 0.5, "double": 2.25,
             "bool": false, "null": null, "array": ["a", 1, {"k": "v"}]}
            """), json);
    }

    [Fact]
    public void A_completion_result_round_trips_through_the_real_MessagePack_hub_protocol()
    {
        var original = JsonAssert.Parse(Nested);
        var protocol = new MessagePackHubProtocol();
        var writer = new ArrayBufferWriter<byte>();

        protocol.WriteMessage(CompletionMessage.WithResult("1", HubValueConverter.ToPlainObject(original)), writer);
        var bytes = new ReadOnlySequence<byte>(writer.WrittenMemory);
        Assert.True(protocol.TryParseMessage(ref bytes, new ResultBinder(typeof(object)), out var message));

        var completion = Assert.IsType<CompletionMessage>(message);
        Assert.IsType<Dictionary<object, object>>(completion.Result);
        JsonAssert.Equal(original, HubValueConverter.ToJsonElement(completion.Result));
    }

    [Fact]
    public void An_invocation_argument_round_trips_through_the_real_MessagePack_hub_protocol()
    {
        var original = JsonAssert.Parse(Nested);
        var protocol = new MessagePackHubProtocol();
        var writer = new ArrayBufferWriter<byte>();

        protocol.WriteMessage(new InvocationMessage("1", "req", [HubValueConverter.ToPlainObject(original)]), writer);
        var bytes = new ReadOnlySequence<byte>(writer.WrittenMemory);
        Assert.True(protocol.TryParseMessage(ref bytes, new ResultBinder(typeof(object)), out var message));

        JsonAssert.Equal(original, HubValueConverter.ToJsonElement(Assert.IsType<InvocationMessage>(message).Arguments[0]));
    }

    [Fact]
    public void A_json_element_passes_through_unchanged()
    {
        var original = JsonAssert.Parse(Nested);
        JsonAssert.Equal(original, HubValueConverter.ToJsonElement(original));
        Assert.Equal(JsonValueKind.Null, HubValueConverter.ToJsonElement(null).ValueKind);
    }

    private sealed class ResultBinder(Type type) : IInvocationBinder
    {
        public IReadOnlyList<Type> GetParameterTypes(string methodName) => [type];

        public Type GetReturnType(string invocationId) => type;

        public Type GetStreamItemType(string streamId) => type;
    }
}
