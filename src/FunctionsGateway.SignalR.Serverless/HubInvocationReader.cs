using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace FunctionsGateway.SignalR.Serverless;

/// <summary>
/// Parses an upstream <c>messages</c> body: one unframed Invocation in the client's protocol (a single trailing
/// 0x1E is tolerated for JSON). Never throws on malformed input.
/// </summary>
public static class HubInvocationReader
{
    /// <summary>Parses <paramref name="body"/>; on failure <paramref name="error"/> says why (safe to log or return).</summary>
    public static bool TryRead(
        ReadOnlySpan<byte> body,
        HubProtocolKind protocol,
        [NotNullWhen(true)] out HubInvocation? invocation,
        [NotNullWhen(false)] out string? error) => protocol switch
        {
            HubProtocolKind.Json => TryReadJson(body, out invocation, out error),
            HubProtocolKind.MessagePack => TryReadMessagePack(body, out invocation, out error),
            _ => Fail(out invocation, out error, "Unsupported hub protocol."),
        };

    private static bool TryReadJson(ReadOnlySpan<byte> body, [NotNullWhen(true)] out HubInvocation? invocation, [NotNullWhen(false)] out string? error)
    {
        if (!body.IsEmpty && body[^1] == HubProtocolConstants.RecordSeparator)
        {
            body = body[..^1];
        }

        // Validated up front so the copied arguments are always well-formed UTF-8.
        if (!Utf8.IsValid(body))
        {
            return Fail(out invocation, out error, "Hub message is not valid UTF-8.");
        }

        int? type = null;
        string? invocationId = null, target = null;
        int argsStart = -1, argsEnd = -1, argCount = 0;
        var hasStreamIds = false;
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = HubProtocolConstants.MaxDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return Fail(out invocation, out error, "Hub message must be a JSON object.");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var t))
                    {
                        return Fail(out invocation, out error, "Hub message 'type' must be an integer.");
                    }

                    type = t;
                }
                else if (reader.ValueTextEquals("invocationId"u8))
                {
                    reader.Read();
                    if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null))
                    {
                        return Fail(out invocation, out error, "Hub message 'invocationId' must be a string.");
                    }

                    invocationId = reader.GetString();
                }
                else if (reader.ValueTextEquals("target"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        return Fail(out invocation, out error, "Hub message 'target' must be a string.");
                    }

                    target = reader.GetString();
                }
                else if (reader.ValueTextEquals("arguments"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        return Fail(out invocation, out error, "Hub message 'arguments' must be an array.");
                    }

                    argsStart = (int)reader.TokenStartIndex;
                    argCount = 0;
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        reader.Skip();
                        argCount++;
                    }

                    argsEnd = (int)reader.BytesConsumed;
                }
                else if (reader.ValueTextEquals("streamIds"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                        {
                            hasStreamIds = true;
                            reader.Skip();
                        }
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else
                {
                    // headers and unknown properties are ignored, as ASP.NET Core's JSON protocol does.
                    reader.Read();
                    reader.Skip();
                }
            }

            // Exactly one message: anything after the object makes the reader throw.
            while (reader.Read())
            {
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string that is valid JSON but not valid UTF-16 (a lone surrogate escape).
            return Fail(out invocation, out error, "Hub message is not valid JSON (or nests deeper than 64 levels).");
        }

        if (type is null)
        {
            return Fail(out invocation, out error, "Hub message has no 'type'.");
        }

        if (!CheckType(type.Value, out error))
        {
            invocation = null;
            return false;
        }

        if (string.IsNullOrEmpty(target))
        {
            return Fail(out invocation, out error, "Invocation has no 'target'.");
        }

        if (argsStart < 0)
        {
            return Fail(out invocation, out error, "Invocation has no 'arguments'.");
        }

        if (hasStreamIds)
        {
            return Fail(out invocation, out error, StreamingNotSupported);
        }

        var arguments = body[argsStart..argsEnd].ToArray();
        invocation = new HubInvocation(string.IsNullOrEmpty(invocationId) ? null : invocationId, target, arguments, argCount);
        error = null;
        return true;
    }

    private static bool TryReadMessagePack(ReadOnlySpan<byte> body, [NotNullWhen(true)] out HubInvocation? invocation, [NotNullWhen(false)] out string? error)
    {
        var reader = new MessagePackSpanReader(body);
        if (!reader.TryRead(out var array) || array.Type != MsgPackType.Array)
        {
            return Fail(out invocation, out error, "Hub message must be a MessagePack array (unframed).");
        }

        if (array.Count < 1 || !reader.TryRead(out var typeToken) || typeToken.Type != MsgPackType.Integer)
        {
            return Fail(out invocation, out error, "Hub message type must be an integer.");
        }

        var type = typeToken.Integer is >= int.MinValue and <= int.MaxValue ? (int)typeToken.Integer : -1;
        if (!CheckType(type, out error))
        {
            invocation = null;
            return false;
        }

        // [1, headers, invocationId, target, arguments, streamIds?]
        if (array.Count < 5)
        {
            return Fail(out invocation, out error, "Invocation must have at least 5 elements.");
        }

        if (!reader.TryRead(out var headers) || headers.Type != MsgPackType.Map)
        {
            return Fail(out invocation, out error, "Invocation headers must be a map.");
        }

        for (var i = 0; i < headers.Count * 2; i++)
        {
            if (!reader.TrySkip(2, HubProtocolConstants.MaxDepth))
            {
                return Fail(out invocation, out error, MalformedMessagePack);
            }
        }

        string? invocationId;
        if (!reader.TryRead(out var idToken))
        {
            return Fail(out invocation, out error, MalformedMessagePack);
        }

        if (idToken.Type == MsgPackType.Nil)
        {
            invocationId = null;
        }
        else if (idToken.Type == MsgPackType.String && Utf8.IsValid(idToken.Bytes))
        {
            invocationId = idToken.Bytes.IsEmpty ? null : Encoding.UTF8.GetString(idToken.Bytes);
        }
        else
        {
            return Fail(out invocation, out error, "Invocation id must be a string or nil.");
        }

        if (!reader.TryRead(out var targetToken) || targetToken.Type != MsgPackType.String || targetToken.Bytes.IsEmpty || !Utf8.IsValid(targetToken.Bytes))
        {
            return Fail(out invocation, out error, "Invocation target must be a non-empty string.");
        }

        var target = Encoding.UTF8.GetString(targetToken.Bytes);

        // Peek at the arguments header on a copy so the converter sees the whole array.
        var peek = reader;
        if (!peek.TryRead(out var argsToken) || argsToken.Type != MsgPackType.Array)
        {
            return Fail(out invocation, out error, "Invocation arguments must be an array.");
        }

        byte[] arguments;
        var scratch = JsonScratch.Rent();
        try
        {
            if (!HubJsonMessagePackConverter.TryWriteJson(ref reader, scratch.Writer, 2, out error))
            {
                invocation = null;
                return false;
            }

            scratch.Writer.Flush();
            arguments = scratch.Buffer.WrittenSpan.ToArray();
        }
        finally
        {
            JsonScratch.Return(scratch);
        }

        if (array.Count >= 6)
        {
            if (!reader.TryRead(out var streamIds) || streamIds.Type != MsgPackType.Array)
            {
                return Fail(out invocation, out error, "Invocation stream ids must be an array.");
            }

            if (streamIds.Count > 0)
            {
                return Fail(out invocation, out error, StreamingNotSupported);
            }

            // Later protocol versions may append fields; skip them.
            for (var i = 6; i < array.Count; i++)
            {
                if (!reader.TrySkip(2, HubProtocolConstants.MaxDepth))
                {
                    return Fail(out invocation, out error, MalformedMessagePack);
                }
            }
        }

        if (!reader.End)
        {
            return Fail(out invocation, out error, "Hub message has data after the message (was it framed?).");
        }

        invocation = new HubInvocation(invocationId, target, arguments, argsToken.Count);
        error = null;
        return true;
    }

    private const string MalformedMessagePack = "Hub message is not valid MessagePack.";
    private const string StreamingNotSupported = "Streaming arguments (streamIds) are not supported in serverless mode.";

    private static bool CheckType(int type, [NotNullWhen(false)] out string? error)
    {
        error = type switch
        {
            HubProtocolConstants.InvocationType => null,
            HubProtocolConstants.StreamInvocationType => "StreamInvocation (type 4) is not supported in serverless mode; use a plain invocation.",
            _ => $"Hub message type {type} is not supported upstream; only Invocation (type 1) is.",
        };
        return error is null;
    }

    private static bool Fail(out HubInvocation? invocation, out string? error, string message)
    {
        invocation = null;
        error = message;
        return false;
    }
}
