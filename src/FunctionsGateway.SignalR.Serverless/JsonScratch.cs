using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace FunctionsGateway.SignalR.Serverless;

// A per-thread buffer + writer pair so hot paths do not allocate a fresh Utf8JsonWriter per call.
internal sealed class JsonScratch
{
    // Large one-off payloads are not kept alive by the cache.
    private const int MaxRetainedCapacity = 64 * 1024;

    [ThreadStatic]
    private static JsonScratch? t_cached;

    internal static readonly JsonWriterOptions WriterOptions = new()
    {
        // Output goes to SignalR clients and JWTs, never into HTML, so minimal escaping keeps bytes predictable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        MaxDepth = 256,
        Indented = false,
    };

    private JsonScratch()
    {
        Buffer = new ArrayBufferWriter<byte>(512);
        Writer = new Utf8JsonWriter(Buffer, WriterOptions);
    }

    public ArrayBufferWriter<byte> Buffer { get; }

    public Utf8JsonWriter Writer { get; }

    public static JsonScratch Rent()
    {
        var scratch = t_cached ?? new JsonScratch();
        t_cached = null;
        scratch.Buffer.ResetWrittenCount();
        scratch.Writer.Reset(scratch.Buffer);
        return scratch;
    }

    // Points the cached writer at another output (for writing frames straight into a caller's buffer).
    public Utf8JsonWriter WriterFor(IBufferWriter<byte> output)
    {
        Writer.Reset(output);
        return Writer;
    }

    public static void Return(JsonScratch scratch)
    {
        // Detach from any caller-owned buffer so the cache never keeps it alive.
        scratch.Writer.Reset(scratch.Buffer);
        if (scratch.Buffer.Capacity > MaxRetainedCapacity)
        {
            return;
        }

        scratch.Buffer.ResetWrittenCount();
        t_cached = scratch;
    }
}
