using System.Text.Json;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Client;

/// <summary>
/// A gateway error: the <c>error{code, message, details?}</c> of a <c>{ok:false}</c> response, or a connection failure
/// mapped to the same shape (code <c>UNAVAILABLE</c>, details.code <c>CONNECTION_CLOSED</c>).
/// </summary>
public class GatewayException : Exception
{
    public GatewayException()
        : this(ErrorCodes.Unavailable, "gateway error")
    {
    }

    public GatewayException(string message)
        : this(ErrorCodes.Unavailable, message)
    {
    }

    public GatewayException(string message, Exception innerException)
        : this(ErrorCodes.Unavailable, message, null, innerException)
    {
    }

    public GatewayException(string code, string message, JsonElement? details = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        Details = details is { ValueKind: JsonValueKind.Object or JsonValueKind.Array } d ? d.Clone() : null;
        DetailCode = Details is { ValueKind: JsonValueKind.Object } obj && obj.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String
            ? c.GetString()
            : null;
    }

    /// <summary><c>error.code</c>, e.g. <c>INVALID_REQUEST</c> or <c>NOT_PAIRED</c>.</summary>
    public string Code { get; }

    /// <summary><c>error.details.code</c>, e.g. <c>MISSING_SCOPE</c>, when the gateway sent one.</summary>
    public string? DetailCode { get; }

    /// <summary><c>error.details</c> as sent.</summary>
    public JsonElement? Details { get; }

    /// <summary>
    /// The exception for a response's <c>error</c> object: a <see cref="PairingRequiredException"/> for NOT_PAIRED,
    /// otherwise a <see cref="GatewayException"/>.
    /// </summary>
    public static GatewayException FromError(JsonElement error)
    {
        if (error.ValueKind != JsonValueKind.Object)
        {
            return new GatewayException(ErrorCodes.Unavailable, "malformed gateway error", Detail(DetailCodes.MalformedFrame));
        }

        var code = GetString(error, "code") ?? ErrorCodes.Unavailable;
        var message = GetString(error, "message") ?? code;
        JsonElement? details = error.TryGetProperty("details", out var d) ? d : null;
        if (code == ErrorCodes.NotPaired)
        {
            return new PairingRequiredException(message, details);
        }

        return new GatewayException(code, message, details);
    }

    /// <summary>The payload of a <c>{ok, payload?, error?}</c> response, or the exception its error describes.</summary>
    public static JsonElement Unwrap(JsonElement response)
    {
        if (response.ValueKind != JsonValueKind.Object
            || !response.TryGetProperty("ok", out var ok)
            || ok.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            throw new GatewayException(ErrorCodes.Unavailable, "malformed gateway response: expected {ok, payload?, error?}", Detail(DetailCodes.MalformedFrame));
        }

        if (ok.ValueKind == JsonValueKind.True)
        {
            return response.TryGetProperty("payload", out var payload) ? payload : default;
        }

        throw response.TryGetProperty("error", out var error)
            ? FromError(error)
            : new GatewayException(ErrorCodes.Unavailable, "gateway answered ok:false without an error", Detail(DetailCodes.MalformedFrame));
    }

    internal static JsonElement Detail(string detailCode, string? reason = null)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("code", detailCode);
            if (reason is not null)
            {
                writer.WriteString("reason", reason);
            }

            writer.WriteEndObject();
        }

        using var doc = JsonDocument.Parse(buffer.ToArray());
        return doc.RootElement.Clone();
    }

    internal static string? GetString(JsonElement obj, string name)
        => obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    internal static string[] GetStrings(JsonElement obj, string name)
    {
        if (obj.ValueKind != JsonValueKind.Object || !obj.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        var list = new List<string>(value.GetArrayLength());
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String)
            {
                list.Add(item.GetString()!);
            }
        }

        return [.. list];
    }
}

/// <summary>
/// NOT_PAIRED / PAIRING_REQUIRED: the device (or its requested role, scopes or metadata) needs a human's approval.
/// The gateway closes the connection right after this answer; connect again on a new connection once approved.
/// </summary>
public sealed class PairingRequiredException : GatewayException
{
    public PairingRequiredException()
        : this("pairing required", (JsonElement?)null)
    {
    }

    public PairingRequiredException(string message)
        : this(message, (JsonElement?)null)
    {
    }

    public PairingRequiredException(string message, Exception innerException)
        : this(message, (JsonElement?)null, innerException)
    {
    }

    public PairingRequiredException(string message, JsonElement? details, Exception? innerException = null)
        : base(ErrorCodes.NotPaired, message, details, innerException)
    {
        var d = Details ?? default;
        RequestId = GetString(d, "requestId") ?? string.Empty;
        Reason = GetString(d, "reason") ?? string.Empty;
        RequestedRole = GetString(d, "requestedRole");
        RequestedScopes = GetStrings(d, "requestedScopes");
        ApprovedScopes = GetStrings(d, "approvedScopes");
    }

    /// <summary>The pending request's id, for <c>devices approve</c>; empty if the gateway closed the connection before answering.</summary>
    public string RequestId { get; }

    /// <summary><c>not-paired</c>, <c>role-upgrade</c>, <c>scope-upgrade</c> or <c>metadata-upgrade</c>.</summary>
    public string Reason { get; }

    public string? RequestedRole { get; }

    public IReadOnlyList<string> RequestedScopes { get; }

    public IReadOnlyList<string> ApprovedScopes { get; }
}

/// <summary>
/// While waiting for approval, the gateway answered with a different request id: the request this client was waiting on
/// was rejected, expired or superseded. A human has to look at <see cref="NextRequestId"/> (or run pairing again).
/// </summary>
public sealed class PairingNotApprovedException : GatewayException
{
    public PairingNotApprovedException()
        : this(string.Empty, string.Empty)
    {
    }

    public PairingNotApprovedException(string message)
        : base(ErrorCodes.NotPaired, message)
    {
        RequestId = string.Empty;
        NextRequestId = string.Empty;
    }

    public PairingNotApprovedException(string message, Exception innerException)
        : base(ErrorCodes.NotPaired, message, null, innerException)
    {
        RequestId = string.Empty;
        NextRequestId = string.Empty;
    }

    public PairingNotApprovedException(string requestId, string nextRequestId, PairingRequiredException? latest = null)
        : base(ErrorCodes.NotPaired,
            $"pairing request {requestId} was not approved (rejected, expired or superseded); the gateway opened request {nextRequestId}",
            latest?.Details, latest)
    {
        RequestId = requestId;
        NextRequestId = nextRequestId;
    }

    /// <summary>The request that was waited on.</summary>
    public string RequestId { get; }

    /// <summary>The request the gateway opened on the latest attempt (pending now).</summary>
    public string NextRequestId { get; }
}
