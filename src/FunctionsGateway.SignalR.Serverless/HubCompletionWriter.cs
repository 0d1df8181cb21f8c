using System.Buffers;
using MessagePack;

namespace FunctionsGateway.SignalR.Serverless;

/// <summary>
/// Writes a framed Completion (type 3) in the client's protocol: the upstream response body for a blocking
/// invocation, which the service forwards to the client verbatim.
/// </summary>
public static class HubCompletionWriter
{
    private const int ErrorKind = 1;
    private const int VoidKind = 2;
    private const int ResultKind = 3;

    /// <summary>
    /// Writes a Completion carrying <paramref name="resultJson"/>: JSON <c>{"type":3,"invocationId":"..","result":...}</c> + 0x1E,
    /// or MessagePack VarInt + <c>[3, {}, id, 3, result]</c> with the JSON converted.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="resultJson"/> is not one valid JSON value; nothing is written.</exception>
    public static void WriteResult(IBufferWriter<byte> output, HubProtocolKind protocol, string invocationId, ReadOnlySpan<byte> resultJson)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentException.ThrowIfNullOrEmpty(invocationId);
        if (protocol == HubProtocolKind.Json)
        {
            HubFrameWriter.ValidateJsonValue(resultJson, nameof(resultJson));
            var scratch = HubFrameWriter.BeginJson(output, out var w);
            try
            {
                w.WriteStartObject();
                w.WriteNumber("type"u8, HubProtocolConstants.CompletionType);
                w.WriteString("invocationId"u8, invocationId);
                w.WritePropertyName("result"u8);
                w.WriteRawValue(resultJson, skipInputValidation: true);
                w.WriteEndObject();
                HubFrameWriter.EndJson(output, w);
            }
            finally
            {
                JsonScratch.Return(scratch);
            }

            return;
        }

        CheckProtocol(protocol);
        var body = HubFrameWriter.BeginMessagePack();
        try
        {
            var w = new MessagePackWriter(body);
            w.WriteArrayHeader(5);
            w.Write(HubProtocolConstants.CompletionType);
            w.WriteMapHeader(0);
            w.Write(invocationId);
            w.Write(ResultKind);
            HubJsonMessagePackConverter.WriteMessagePack(resultJson, ref w);
            w.Flush();
            HubFrameWriter.EndMessagePack(output, body);
        }
        finally
        {
            HubFrameWriter.Release(body);
        }
    }

    /// <summary>Writes an error Completion: <c>{"type":3,"invocationId":"..","error":".."}</c> + 0x1E, or VarInt + <c>[3, {}, id, 1, error]</c>.</summary>
    public static void WriteError(IBufferWriter<byte> output, HubProtocolKind protocol, string invocationId, string error)
    {
        ArgumentNullException.ThrowIfNull(error);
        WriteWithoutResult(output, protocol, invocationId, error);
    }

    /// <summary>Writes a void Completion: <c>{"type":3,"invocationId":".."}</c> + 0x1E, or VarInt + <c>[3, {}, id, 2]</c>.</summary>
    public static void WriteVoid(IBufferWriter<byte> output, HubProtocolKind protocol, string invocationId)
        => WriteWithoutResult(output, protocol, invocationId, null);

    /// <summary>An error Completion when <paramref name="error"/> is set, else a void one.</summary>
    private static void WriteWithoutResult(IBufferWriter<byte> output, HubProtocolKind protocol, string invocationId, string? error)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentException.ThrowIfNullOrEmpty(invocationId);
        if (protocol == HubProtocolKind.Json)
        {
            var scratch = HubFrameWriter.BeginJson(output, out var w);
            try
            {
                w.WriteStartObject();
                w.WriteNumber("type"u8, HubProtocolConstants.CompletionType);
                w.WriteString("invocationId"u8, invocationId);
                if (error is not null)
                {
                    w.WriteString("error"u8, error);
                }

                w.WriteEndObject();
                HubFrameWriter.EndJson(output, w);
            }
            finally
            {
                JsonScratch.Return(scratch);
            }

            return;
        }

        CheckProtocol(protocol);
        var body = HubFrameWriter.BeginMessagePack();
        try
        {
            var w = new MessagePackWriter(body);
            w.WriteArrayHeader(error is null ? 4 : 5);
            w.Write(HubProtocolConstants.CompletionType);
            w.WriteMapHeader(0);
            w.Write(invocationId);
            w.Write(error is null ? VoidKind : ErrorKind);
            if (error is not null)
            {
                w.Write(error);
            }

            w.Flush();
            HubFrameWriter.EndMessagePack(output, body);
        }
        finally
        {
            HubFrameWriter.Release(body);
        }
    }

    internal static void CheckProtocol(HubProtocolKind protocol)
    {
        if (protocol != HubProtocolKind.MessagePack)
        {
            throw new ArgumentOutOfRangeException(nameof(protocol));
        }
    }
}
