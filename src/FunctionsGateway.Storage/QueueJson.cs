using System.Text.Encodings.Web;
using System.Text.Json;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Storage;

/// <summary>
/// The gateway's JSON (<see cref="GatewayJson.Options"/>) for queue messages, without escaping non-ASCII or HTML
/// characters: a message is never embedded in a page, and a task of 16 KB of UTF-8 must stay well under the 48 KB a
/// Base64 queue message can carry (escaped, <c>&lt;</c> or <c>é</c> take six bytes each).
/// </summary>
internal static class QueueJson
{
    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(GatewayJson.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>Reads <typeparamref name="T"/>, turning anything unreadable into a <see cref="FormatException"/> naming <paramref name="what"/>.</summary>
    public static T Read<T>(string? message, string what) where T : class
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            throw new FormatException($"{what} message is empty");
        }

        try
        {
            return JsonSerializer.Deserialize<T>(message, Options) ?? throw new FormatException($"{what} message is JSON null");
        }
        catch (JsonException ex)
        {
            throw new FormatException($"{what} message is not valid JSON for it: {ex.Message}", ex);
        }
    }

    /// <summary>A required string property: present and not empty.</summary>
    public static string Require(string? value, string what, string property)
        => string.IsNullOrEmpty(value) ? throw new FormatException($"{what} message lacks {property}") : value;
}
