using System.Collections.Frozen;
using System.Security.Claims;

namespace FunctionsGateway.SignalR.Serverless;

/// <summary>Claim names the service gives meaning to.</summary>
public static class SignalRClaimTypes
{
    /// <summary>The user id claim the Management SDK writes (<c>asrs.s.uid</c>).</summary>
    public const string UserId = "asrs.s.uid";

    /// <summary>Short form of NameIdentifier; the REST docs say the service reads the user id from it.</summary>
    public const string NameIdentifier = "nameid";

    /// <summary>Prefix the service reserves for system claims.</summary>
    public const string SystemPrefix = "asrs.s.";

    /// <summary>Prefix applied to user claims whose name collides with a system claim.</summary>
    public const string UserPrefix = "asrs.u.";

    /// <summary>Claim names the service treats as its own; user claims with these names get <see cref="UserPrefix"/>.</summary>
    public static FrozenSet<string> SystemClaims { get; } = FrozenSet.ToFrozenSet(
        ["aud", "exp", "iat", "nbf", "iss", "actort", "acr", "azp", "c_hash", "jti", "nonce"],
        StringComparer.Ordinal);

    // .NET long claim URIs shortened the way the SDK's outbound map does.
    internal static string ToShortType(string type) => type switch
    {
        ClaimTypes.NameIdentifier => NameIdentifier,
        ClaimTypes.Role => "role",
        ClaimTypes.Name => "unique_name",
        _ => type,
    };
}
