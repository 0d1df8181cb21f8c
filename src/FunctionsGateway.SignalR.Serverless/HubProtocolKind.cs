namespace FunctionsGateway.SignalR.Serverless;

/// <summary>The SignalR hub protocol a client speaks.</summary>
public enum HubProtocolKind
{
    /// <summary>JSON (<c>application/json</c>); frames end with 0x1E.</summary>
    Json,

    /// <summary>MessagePack (<c>application/x-msgpack</c>); frames start with a VarInt length.</summary>
    MessagePack,
}

/// <summary>Maps upstream Content-Type values to <see cref="HubProtocolKind"/>.</summary>
public static class HubProtocolContentType
{
    /// <summary>Content-Type of JSON bodies.</summary>
    public const string Json = "application/json";

    /// <summary>Content-Type of MessagePack bodies.</summary>
    public const string MessagePack = "application/x-msgpack";

    /// <summary>
    /// Parses a Content-Type (parameters such as charset ignored, case-insensitive). False means the body
    /// is in no hub protocol and the caller should answer 415.
    /// </summary>
    public static bool TryParse(string? contentType, out HubProtocolKind protocol)
    {
        var media = contentType.AsSpan();
        var semicolon = media.IndexOf(';');
        if (semicolon >= 0)
        {
            media = media[..semicolon];
        }

        media = media.Trim();
        if (media.Equals(Json, StringComparison.OrdinalIgnoreCase))
        {
            protocol = HubProtocolKind.Json;
            return true;
        }

        if (media.Equals(MessagePack, StringComparison.OrdinalIgnoreCase))
        {
            protocol = HubProtocolKind.MessagePack;
            return true;
        }

        protocol = default;
        return false;
    }

    /// <summary>The Content-Type for a protocol.</summary>
    public static string ToContentType(HubProtocolKind protocol) => protocol switch
    {
        HubProtocolKind.Json => Json,
        HubProtocolKind.MessagePack => MessagePack,
        _ => throw new ArgumentOutOfRangeException(nameof(protocol)),
    };
}

/// <summary>Hub protocol constants.</summary>
public static class HubProtocolConstants
{
    /// <summary>JSON frame terminator.</summary>
    public const byte RecordSeparator = 0x1E;

    /// <summary>Nesting limit for arguments and results, against hostile payloads.</summary>
    public const int MaxDepth = 64;

    /// <summary>Invocation message type.</summary>
    public const int InvocationType = 1;

    /// <summary>Completion message type.</summary>
    public const int CompletionType = 3;

    /// <summary>StreamInvocation message type (not supported in serverless mode).</summary>
    public const int StreamInvocationType = 4;
}
