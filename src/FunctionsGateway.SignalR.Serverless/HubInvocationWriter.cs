using System.Buffers;
using MessagePack;

namespace FunctionsGateway.SignalR.Serverless;

/// <summary>Writes a framed non-blocking server-to-client Invocation, as the service does for REST sends.</summary>
public static class HubInvocationWriter
{
    /// <summary>
    /// Writes JSON <c>{"type":1,"target":"..","arguments":[...]}</c> + 0x1E, or MessagePack VarInt +
    /// <c>[1, {}, nil, target, [args], []]</c> with the arguments converted from JSON.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="argumentsJsonArray"/> is not a JSON array.</exception>
    public static void WriteInvocation(IBufferWriter<byte> output, HubProtocolKind protocol, string target, ReadOnlySpan<byte> argumentsJsonArray)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentException.ThrowIfNullOrEmpty(target);
        HubFrameWriter.RequireJsonArray(argumentsJsonArray, nameof(argumentsJsonArray));
        if (protocol == HubProtocolKind.Json)
        {
            HubFrameWriter.ValidateJsonValue(argumentsJsonArray, nameof(argumentsJsonArray));
            var scratch = HubFrameWriter.BeginJson(output, out var w);
            try
            {
                w.WriteStartObject();
                w.WriteNumber("type"u8, HubProtocolConstants.InvocationType);
                w.WriteString("target"u8, target);
                w.WritePropertyName("arguments"u8);
                w.WriteRawValue(argumentsJsonArray, skipInputValidation: true);
                w.WriteEndObject();
                HubFrameWriter.EndJson(output, w);
            }
            finally
            {
                JsonScratch.Return(scratch);
            }

            return;
        }

        HubCompletionWriter.CheckProtocol(protocol);
        var body = HubFrameWriter.BeginMessagePack();
        try
        {
            var w = new MessagePackWriter(body);
            w.WriteArrayHeader(6);
            w.Write(HubProtocolConstants.InvocationType);
            w.WriteMapHeader(0);
            w.WriteNil();
            w.Write(target);
            HubJsonMessagePackConverter.WriteMessagePack(argumentsJsonArray, ref w);
            w.WriteArrayHeader(0);
            w.Flush();
            HubFrameWriter.EndMessagePack(output, body);
        }
        finally
        {
            HubFrameWriter.Release(body);
        }
    }
}
