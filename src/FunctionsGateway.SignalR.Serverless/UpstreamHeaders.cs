using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace FunctionsGateway.SignalR.Serverless;

/// <summary>The <c>X-ASRS-Category</c> of an upstream request.</summary>
public enum UpstreamCategory
{
    /// <summary>Missing or unrecognised.</summary>
    Unknown,

    /// <summary><c>connections</c>: connected / disconnected events.</summary>
    Connections,

    /// <summary><c>messages</c>: client invocations.</summary>
    Messages,
}

/// <summary>The <c>X-ASRS-*</c> headers of a request the service POSTs upstream.</summary>
public sealed class UpstreamHeaders
{
    /// <summary>Header names.</summary>
    public const string ConnectionIdHeader = "X-ASRS-Connection-Id";

    /// <summary>Header name.</summary>
    public const string HubHeader = "X-ASRS-Hub";

    /// <summary>Header name.</summary>
    public const string CategoryHeader = "X-ASRS-Category";

    /// <summary>Header name.</summary>
    public const string EventHeader = "X-ASRS-Event";

    /// <summary>Header name.</summary>
    public const string UserIdHeader = "X-ASRS-User-Id";

    /// <summary>Header name.</summary>
    public const string SignatureHeader = "X-ASRS-Signature";

    /// <summary>Header name.</summary>
    public const string UserClaimsHeader = "X-ASRS-User-Claims";

    /// <summary>Event name of the connected event.</summary>
    public const string ConnectedEvent = "connected";

    /// <summary>Event name of the disconnected event.</summary>
    public const string DisconnectedEvent = "disconnected";

    /// <summary>The client connection id.</summary>
    public string? ConnectionId { get; init; }

    /// <summary>The hub as the service knows it (usually lower case).</summary>
    public string? Hub { get; init; }

    /// <summary>The raw category header.</summary>
    public string? Category { get; init; }

    /// <summary>The event: connected / disconnected, or the invocation target.</summary>
    public string? Event { get; init; }

    /// <summary>The user id, absent for anonymous connections.</summary>
    public string? UserId { get; init; }

    /// <summary>The signature header, multiple values joined with ','.</summary>
    public string? Signature { get; init; }

    /// <summary>The raw user claims header values.</summary>
    public StringValues UserClaims { get; init; }

    /// <summary>The request Content-Type.</summary>
    public string? ContentType { get; init; }

    /// <summary>The parsed category (case-insensitive).</summary>
    public UpstreamCategory CategoryKind =>
        string.Equals(Category, "connections", StringComparison.OrdinalIgnoreCase) ? UpstreamCategory.Connections
        : string.Equals(Category, "messages", StringComparison.OrdinalIgnoreCase) ? UpstreamCategory.Messages
        : UpstreamCategory.Unknown;

    /// <summary>True when connection id, hub, category and event are all present (else answer 400).</summary>
    public bool HasRequiredHeaders =>
        !string.IsNullOrEmpty(ConnectionId) && !string.IsNullOrEmpty(Hub) && !string.IsNullOrEmpty(Category) && !string.IsNullOrEmpty(Event);

    /// <summary>True for a <c>connections</c>/<c>connected</c> event.</summary>
    public bool IsConnectedEvent => CategoryKind == UpstreamCategory.Connections && IsEvent(ConnectedEvent);

    /// <summary>True for a <c>connections</c>/<c>disconnected</c> event.</summary>
    public bool IsDisconnectedEvent => CategoryKind == UpstreamCategory.Connections && IsEvent(DisconnectedEvent);

    /// <summary>Reads the headers from an ASP.NET Core request.</summary>
    public static UpstreamHeaders From(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return From(request.Headers);
    }

    /// <summary>Reads the headers from a header dictionary.</summary>
    public static UpstreamHeaders From(IHeaderDictionary headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        return new UpstreamHeaders
        {
            ConnectionId = Single(headers, ConnectionIdHeader),
            Hub = Single(headers, HubHeader),
            Category = Single(headers, CategoryHeader),
            Event = Single(headers, EventHeader),
            UserId = Single(headers, UserIdHeader),
            Signature = headers.TryGetValue(SignatureHeader, out var sig) && !StringValues.IsNullOrEmpty(sig) ? sig.ToString() : null,
            UserClaims = headers.TryGetValue(UserClaimsHeader, out var claims) ? claims : StringValues.Empty,
            ContentType = Single(headers, "Content-Type"),
        };
    }

    /// <summary>Hub match, ignoring case (the SDK lower-cases hub names).</summary>
    public bool IsHub(string hub) => SignalRHubName.EqualsIgnoreCase(Hub, hub);

    /// <summary>Event match, ignoring case.</summary>
    public bool IsEvent(string eventName) => string.Equals(Event, eventName, StringComparison.OrdinalIgnoreCase);

    /// <summary>The hub protocol of the body, from Content-Type; false means answer 415.</summary>
    public bool TryGetProtocol(out HubProtocolKind protocol) => HubProtocolContentType.TryParse(ContentType, out protocol);

    /// <summary>
    /// Parses <c>X-ASRS-User-Claims</c> (<c>type: value</c>, joined by <c>, </c> or one per header value).
    /// A fragment without <c>": "</c> is taken as the tail of the previous value containing a comma.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> ParseUserClaims()
    {
        var result = new List<KeyValuePair<string, string>>();
        foreach (var headerValue in UserClaims)
        {
            if (string.IsNullOrEmpty(headerValue))
            {
                continue;
            }

            foreach (var part in headerValue.Split(", ", StringSplitOptions.None))
            {
                var sep = part.IndexOf(": ", StringComparison.Ordinal);
                if (sep > 0)
                {
                    result.Add(new(part[..sep].Trim(), part[(sep + 2)..]));
                }
                else if (result.Count > 0)
                {
                    var last = result[^1];
                    result[^1] = new(last.Key, last.Value + ", " + part);
                }
            }
        }

        return result;
    }

    private static string? Single(IHeaderDictionary headers, string name) =>
        headers.TryGetValue(name, out var values) && values.Count == 1 && !string.IsNullOrEmpty(values[0]) ? values[0] : null;
}
