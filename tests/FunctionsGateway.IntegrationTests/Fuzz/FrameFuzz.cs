using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FunctionsGateway.IntegrationTests.Fuzz;

/// <summary>What the local service must do with a handshake.</summary>
public enum HandshakeClass
{
    /// <summary>A valid request: answered with <c>{}</c>.</summary>
    Accepted,

    /// <summary>Not a request the service supports: refused (error answer or close), never accepted.</summary>
    Refused,

    /// <summary>Unusual but arguably valid (unknown fields): either, and the case goes on if it was accepted.</summary>
    Either,

    /// <summary>Incomplete: the service waits for the rest; the client leaves.</summary>
    Partial,
}

/// <summary>How the bytes after the handshake split into the messages the service sees.</summary>
/// <remarks><see cref="MustClose"/> names what must close the connection, <see cref="MustCloseFrame"/> which frame has it.</remarks>
public sealed record FrameLayout(int CompleteFrames, bool EndsAtBoundary, string? MustClose = null, int MustCloseFrame = -1);

/// <summary>The bytes a client sends on the WebSocket: a handshake variant, then hub messages, valid and not, framed or not.</summary>
public static class FrameFuzz
{
    public const byte RecordSeparator = 0x1E;
    public const string NotJson = "a frame that is not JSON";
    public const string LongPrefix = "a length prefix longer than 5 bytes";

    public static (string Kind, byte[] Bytes, HandshakeClass Class) Handshake(Random random, bool messagePack)
    {
        var protocol = messagePack ? "messagepack" : "json";
        var valid = $"{{\"protocol\":\"{protocol}\",\"version\":1}}";
        if (random.Chance(0.85))
        {
            return ("handshake", [.. Encoding.UTF8.GetBytes(valid), RecordSeparator], HandshakeClass.Accepted);
        }

        return random.Next(8) switch
        {
            0 => ("handshake version 2", Terminated($"{{\"protocol\":\"{protocol}\",\"version\":2}}"), HandshakeClass.Refused),
            1 => ("handshake for an unknown protocol", Terminated("{\"protocol\":\"xml\",\"version\":1}"), HandshakeClass.Refused),
            2 => ("garbage handshake", Terminated(FuzzValues.Ascii(random, random.Next(1, 200)).Replace("\u001e", "", StringComparison.Ordinal)), HandshakeClass.Refused),
            3 => ("handshake without its separator", Encoding.UTF8.GetBytes(valid), HandshakeClass.Partial),
            4 => ("oversized handshake", [.. Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"x\":\"" + new string('x', 5000))], HandshakeClass.Partial),
            5 => ("empty handshake object", Terminated("{}"), HandshakeClass.Refused),
            6 => ("handshake with unknown fields", Terminated($"{{\"version\":1,\"x\":[1,{{}}],\"protocol\":\"{protocol}\"}}"), HandshakeClass.Either),
            _ => ("mutated handshake", [.. JsonFuzz.ByteMutation(Encoding.UTF8.GetBytes(valid), random, random.Next(1, 3)), RecordSeparator], HandshakeClass.Either),
        };
    }

    /// <summary>1-4 hub messages in the connection's protocol, each framed (or, at the end, not quite).</summary>
    public static (string Kind, byte[] Bytes) Messages(Random random, bool messagePack, int index)
    {
        var kinds = new List<string>();
        var bytes = new List<byte>();
        for (var count = random.Next(1, 5); count > 0; count--)
        {
            var (kind, message) = messagePack ? MessagePackMessage(random, index) : JsonMessage(random, index);
            kinds.Add(kind);
            if (!messagePack)
            {
                bytes.AddRange(message);
                bytes.Add(RecordSeparator);
            }
            else if (random.Chance(0.88))
            {
                bytes.AddRange(MessagePackFuzz.Frame(message));
            }
            else
            {
                var (prefixKind, prefix) = BadPrefix(random, message.Length);
                kinds[^1] += " behind " + prefixKind;
                bytes.AddRange(prefix);
                bytes.AddRange(message);
            }
        }

        if (!messagePack && random.Chance(0.1))
        {
            kinds.Add("last separator missing");
            bytes.RemoveAt(bytes.Count - 1);
        }

        if (random.Chance(0.05))
        {
            kinds.Add("stream damaged");
            return (string.Join(", ", kinds), JsonFuzz.ByteMutation([.. bytes], random, random.Next(1, 4)));
        }

        return (string.Join(", ", kinds), [.. bytes]);
    }

    /// <summary>
    /// Splits what follows the handshake as the service does: JSON at each 0x1E, MessagePack by VarInt lengths. A frame
    /// that is not JSON at all, or a length prefix longer than 5 bytes, must close the connection, as ASP.NET Core's hub
    /// protocols do (they throw and the connection ends with an error); everything else must be answered or closed.
    /// </summary>
    public static FrameLayout Layout(ReadOnlySpan<byte> stream, bool messagePack, int maxMessageBytes)
    {
        var frames = 0;
        if (!messagePack)
        {
            var notJson = -1;
            while (stream.IndexOf(RecordSeparator) is var end && end >= 0)
            {
                if (end > 0 && notJson < 0 && !IsJson(stream[..end]))
                {
                    notJson = frames;
                }

                frames++;
                stream = stream[(end + 1)..];
            }

            return notJson < 0 ? new FrameLayout(frames, stream.IsEmpty) : new FrameLayout(frames, stream.IsEmpty, NotJson, notJson);
        }

        while (!stream.IsEmpty)
        {
            long length = 0;
            var used = 0;
            for (var shift = 0; ; shift += 7)
            {
                if (used == 5)
                {
                    return new FrameLayout(frames, false, LongPrefix, frames);
                }

                if (used == stream.Length)
                {
                    return new FrameLayout(frames, false);
                }

                var b = stream[used++];
                length |= (long)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    break;
                }
            }

            if (length > maxMessageBytes || length > stream.Length - used)
            {
                return new FrameLayout(frames, false);
            }

            frames++;
            stream = stream[(used + (int)length)..];
        }

        return new FrameLayout(frames, true);
    }

    /// <summary>Cuts the bytes into WebSocket messages: at the given boundaries, at random points, or all in one.</summary>
    public static List<byte[]> Chunks(Random random, byte[] handshake, byte[] messages)
    {
        byte[] all = [.. handshake, .. messages];
        switch (random.Next(10))
        {
            case < 5:
                return messages.Length == 0 ? [handshake] : [handshake, messages];
            case < 8:
                var cuts = Enumerable.Range(0, random.Next(1, 6)).Select(_ => random.Next(1, Math.Max(2, all.Length))).Where(c => c < all.Length).Distinct().Order().ToList();
                var chunks = new List<byte[]>();
                var start = 0;
                foreach (var cut in cuts)
                {
                    chunks.Add(all[start..cut]);
                    start = cut;
                }

                chunks.Add(all[start..]);
                return chunks;
            default:
                return [all];
        }
    }

    /// <summary>
    /// The client access token from negotiate, damaged where its signature covers it or in its form: it must be refused.
    /// (Only signed bytes are changed: a changed padding bit of the signature could decode to the same signature.)
    /// </summary>
    public static (string Kind, string Token) DamagedToken(Random random, string token)
    {
        var parts = token.Split('.');
        var payload = parts[1].ToCharArray();
        var at = random.Next(payload.Length - 1);
        payload[at] = payload[at] == 'A' ? 'B' : 'A';
        var claims = Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"aud\":\"x\",\"exp\":99999999999}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return random.Next(8) switch
        {
            0 => ("a token with a changed claim byte", $"{parts[0]}.{new string(payload)}.{parts[2]}"),
            1 => ("a token with other claims under the old signature", $"{parts[0]}.{claims}.{parts[2]}"),
            2 => ("an unsigned token (alg none)", "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "."),
            3 => ("a token with a short signature", $"{parts[0]}.{parts[1]}.{parts[2][..^4]}"),
            4 => ("a token with a fourth segment", token + ".x"),
            5 => ("a token with a character outside ASCII", token.Insert(random.Next(token.Length), "é")),
            6 => ("a huge token", token + new string('A', 10_000)),
            _ => ("the token's payload alone", parts[1]),
        };
    }

    public static WebSocketMessageType TypeFor(Random random, bool messagePack)
        => random.Chance(0.9) == messagePack ? WebSocketMessageType.Binary : WebSocketMessageType.Text;

    private static (string Kind, byte[] Message) JsonMessage(Random random, int index)
    {
        var invocationId = random.Chance(0.8) ? "f" + index + "-" + random.Next(100) : null;
        return random.Next(100) switch
        {
            < 30 => ("invocation", JsonFuzz.Serialize(HubMessages.Invocation(random, invocationId, HubMessages.Argument(random)), random)),
            < 55 => ("mutated invocation", HubMessages.MutatedJson(random, invocationId)),
            < 72 => random.Pick<(string, byte[])>([("ping", "{\"type\":6}"u8.ToArray()), ("close", "{\"type\":7}"u8.ToArray()),
                ("stream invocation", "{\"type\":4,\"invocationId\":\"s\",\"target\":\"req\",\"arguments\":[]}"u8.ToArray()),
                ("cancel", "{\"type\":5,\"invocationId\":\"s\"}"u8.ToArray()), ("unknown type", "{\"type\":99}"u8.ToArray()),
                ("type as a string", "{\"type\":\"1\",\"target\":\"req\",\"arguments\":[]}"u8.ToArray()), ("empty object", "{}"u8.ToArray()),
                ("JSON array", "[1,{\"type\":1}]"u8.ToArray())]),
            < 80 => ("text that is not JSON", Encoding.UTF8.GetBytes(FuzzValues.Ascii(random, random.Next(1, 100)).Replace("\u001e", "", StringComparison.Ordinal))),
            < 88 => ("random text", Encoding.UTF8.GetBytes(FuzzValues.RandomText(random, random.Next(1, 60)).Replace("\u001e", "", StringComparison.Ordinal))),
            < 95 => ("random bytes", [.. random.Bytes(random.Next(1, 100)).Where(b => b != RecordSeparator)]),
            _ => ("empty frame", []),
        };
    }

    private static (string Kind, byte[] Message) MessagePackMessage(Random random, int index)
    {
        var invocationId = random.Chance(0.8) ? "f" + index + "-" + random.Next(100) : null;
        return random.Next(100) switch
        {
            < 30 => ("invocation", MessagePackFuzz.Invocation(random, invocationId, "req", new JsonArray(HubMessages.Argument(random)), perverse: false)),
            < 55 => ("mutated invocation", HubMessages.MutatedMessagePack(random, invocationId)),
            < 75 => random.Pick<(string, byte[])>([("ping", [0x91, 0x06]), ("close", [0x93, 0x07, 0xC0, 0xC2]),
                ("stream invocation", [0x95, 0x04, 0x80, 0xA1, (byte)'s', 0xA3, (byte)'r', (byte)'e', (byte)'q', 0x90]),
                ("cancel", [0x93, 0x05, 0x80, 0xA1, (byte)'s']), ("unknown type", [0x91, 0x63]), ("empty array", [0x90]),
                ("not an array", [0xC0]), ("a map", [0x81, 0xA1, (byte)'t', 0x01]), ("array16 invocation header", [0xDC, 0x00, 0x01, 0x06])]),
            < 95 => ("random bytes", random.Bytes(random.Next(1, 100))),
            _ => ("empty message", []),
        };
    }

    private static (string Kind, byte[] Prefix) BadPrefix(Random random, int length) => random.Next(5) switch
    {
        0 => ("a 6-byte length prefix", [0x80, 0x80, 0x80, 0x80, 0x80, 0x00]),
        1 => ("a 5-byte prefix that does not end", [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
        2 => ("a length beyond the data", MessagePackFuzz.VarInt(length + random.Next(1, 1000))),
        3 => ("a length over 1 MB", MessagePackFuzz.VarInt((1024 * 1024) + 1)),
        _ => ("a non-minimal length prefix", [(byte)(0x80 | (length & 0x7F)), (byte)(0x80 | ((length >> 7) & 0x7F)), 0x00]),
    };

    private static byte[] Terminated(string text) => [.. Encoding.UTF8.GetBytes(text), RecordSeparator];

    private static bool IsJson(ReadOnlySpan<byte> frame)
    {
        try
        {
            var reader = new Utf8JsonReader(frame, new JsonReaderOptions { MaxDepth = 10_000 });
            reader.Read();
            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
