using System.Text.Json;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Client;

/// <summary>A server → client event (target <c>event</c>, argument <c>{event, payload, seq}</c>).</summary>
public sealed record GatewayEvent(string Event, JsonElement Payload, long Seq)
{
    /// <summary>The payload deserialized with <see cref="GatewayJson.Options"/>.</summary>
    public T? PayloadAs<T>() => Payload.ValueKind == JsonValueKind.Undefined ? default : Payload.Deserialize<T>(GatewayJson.Options);

    /// <summary>Reads an event frame; null if it is not an object with a string <c>event</c>.</summary>
    public static GatewayEvent? FromFrame(JsonElement frame)
    {
        var name = GatewayException.GetString(frame, "event");
        if (name is null)
        {
            return null;
        }

        var payload = frame.TryGetProperty("payload", out var p) ? p.Clone() : default;
        var seq = frame.TryGetProperty("seq", out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out var n) ? n : 0;
        return new GatewayEvent(name, payload, seq);
    }
}
