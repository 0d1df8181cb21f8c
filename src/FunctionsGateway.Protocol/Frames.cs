using System.Text.Json;
using System.Text.Json.Serialization;

namespace FunctionsGateway.Protocol;

/// <summary>The one argument of every <c>req</c> invocation.</summary>
public sealed record GatewayRequest(
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("params")] JsonElement Params = default);

/// <summary>Every method's completion result: errors keep their structure through SignalR.</summary>
public sealed record GatewayResponse(
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("payload")] object? Payload = null,
    [property: JsonPropertyName("error")] GatewayError? Error = null)
{
    public static GatewayResponse Success(object? payload) => new(true, payload);

    public static GatewayResponse Failure(string code, string message, object? details = null)
        => new(false, null, new GatewayError(code, message, details));

    public static GatewayResponse Invalid(string message, string detailCode, object? extra = null)
        => Failure(ErrorCodes.InvalidRequest, message, new ErrorDetails(detailCode, extra));
}

public sealed record GatewayError(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("details")] object? Details = null);

/// <summary>Details with a machine code and, optionally, more fields merged in by the serializer.</summary>
[JsonConverter(typeof(ErrorDetailsConverter))]
public sealed record ErrorDetails(string Code, object? Extra = null);

internal sealed class ErrorDetailsConverter : JsonConverter<ErrorDetails>
{
    public override ErrorDetails Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => throw new NotSupportedException("ErrorDetails is written by the gateway; clients read error.details as JSON.");

    public override void Write(Utf8JsonWriter writer, ErrorDetails value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("code", value.Code);
        if (value.Extra is not null)
        {
            using var doc = JsonSerializer.SerializeToDocument(value.Extra, value.Extra.GetType(), options);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name != "code")
                {
                    property.WriteTo(writer);
                }
            }
        }

        writer.WriteEndObject();
    }
}

/// <summary>Server → client event: target <c>event</c>, argument <c>{event, payload, seq}</c>.</summary>
public sealed record GatewayEventFrame(
    [property: JsonPropertyName("event")] string Event,
    [property: JsonPropertyName("payload")] object? Payload,
    [property: JsonPropertyName("seq")] long Seq);

public static class GatewayJson
{
    /// <summary>camelCase, nulls omitted, numbers strictly typed: a string where a number belongs is an error.</summary>
    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            NumberHandling = JsonNumberHandling.Strict,
            MaxDepth = 32,
            AllowDuplicateProperties = false,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
