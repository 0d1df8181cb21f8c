using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace FunctionsGateway.SignalR.Serverless;

/// <summary>A connections-category body: <c>{"type":10}</c> (connected) or <c>{"type":11,"error":".."}</c> (disconnected).</summary>
public sealed record UpstreamConnectionMessage(int Type, string? Error)
{
    /// <summary>OpenConnectionMessage type.</summary>
    public const int ConnectedType = 10;

    /// <summary>CloseConnectionMessage type.</summary>
    public const int DisconnectedType = 11;

    /// <summary>
    /// Parses the body, accepting <c>type</c>/<c>Type</c> and <c>error</c>/<c>Error</c> (the emulator writes
    /// PascalCase) and one trailing 0x1E. Never throws on malformed input.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> body, [NotNullWhen(true)] out UpstreamConnectionMessage? message, [NotNullWhen(false)] out string? error)
    {
        message = null;
        if (!body.IsEmpty && body[^1] == HubProtocolConstants.RecordSeparator)
        {
            body = body[..^1];
        }

        int? type = null;
        string? closeError = null;
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = HubProtocolConstants.MaxDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "Connection event body must be a JSON object.";
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isType = reader.ValueTextEquals("type"u8) || reader.ValueTextEquals("Type"u8);
                var isError = reader.ValueTextEquals("error"u8) || reader.ValueTextEquals("Error"u8);
                reader.Read();
                if (isType)
                {
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var t))
                    {
                        error = "Connection event 'type' must be an integer.";
                        return false;
                    }

                    type = t;
                }
                else if (isError && reader.TokenType is JsonTokenType.String or JsonTokenType.Null)
                {
                    closeError = reader.GetString();
                }
                else
                {
                    reader.Skip();
                }
            }

            // Anything after the object is malformed (the reader throws on a second value).
            while (reader.Read())
            {
            }
        }
        catch (JsonException)
        {
            error = "Connection event body is not valid JSON.";
            return false;
        }

        if (type is null)
        {
            error = "Connection event body has no 'type'.";
            return false;
        }

        message = new UpstreamConnectionMessage(type.Value, string.IsNullOrEmpty(closeError) ? null : closeError);
        error = null;
        return true;
    }
}
