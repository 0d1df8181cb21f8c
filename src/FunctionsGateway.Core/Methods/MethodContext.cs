using System.Text.Json;
using FunctionsGateway.Core.Connections;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Methods;

/// <summary>The admitted caller, as stored on its connection row.</summary>
public sealed record GatewayPrincipal(string ConnectionId, string DeviceId, GatewayRole Role, ScopeSet Scopes, bool IsInternal, string? BoundSessionKey)
{
    public bool IsAdmin => (Scopes & ScopeSet.Admin) != 0;
}

public sealed class InvalidParamsException(string message) : Exception(message);

public sealed record MethodContext(CallContext Call, GatewayPrincipal Principal, string Method, JsonElement Params)
{
    /// <summary>
    /// Set by a handler whose decision ends the caller's own connection (revoking or removing itself): the transport
    /// closes it only after this answer has been delivered, so the caller learns what happened.
    /// </summary>
    public string? CloseAfterReason { get; set; }

    /// <summary>Binds params strictly: wrong types or a non-object answer INVALID_PARAMS, never a 500.</summary>
    public T Bind<T>() where T : new()
    {
        if (Params.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return new T();
        }

        if (Params.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidParamsException("params must be an object");
        }

        try
        {
            return Params.Deserialize<T>(GatewayJson.Options) ?? new T();
        }
        catch (JsonException ex)
        {
            throw new InvalidParamsException(ex.Message);
        }
    }
}
