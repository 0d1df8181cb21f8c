using System.Collections.Frozen;
using System.Reflection;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Telemetry;

/// <summary>
/// Turns what a caller sent into tag values the gateway names itself: a method, error code or detail code that is not
/// one of the gateway's own becomes <see cref="TelemetryNames.Other"/>. A client cannot grow a metric's series or put
/// its own text into telemetry.
/// </summary>
public static class TelemetryTags
{
    private static readonly FrozenSet<string> Methods = GatewayMethods.Table.Select(rule => rule.Key).ToFrozenSet(StringComparer.Ordinal);
    private static readonly FrozenSet<string> ErrorCodeValues = Constants(typeof(ErrorCodes));
    private static readonly FrozenSet<string> DetailCodeValues = Constants(typeof(DetailCodes));

    public const string Network = "network";
    public const string Internal = "internal";

    /// <summary>The method as the method table names it, else <see cref="TelemetryNames.Other"/>.</summary>
    public static string Method(string? method) => Known(Methods, method);

    public static string Origin(bool isInternal) => isInternal ? Internal : Network;

    public static string ErrorCode(string? code) => Known(ErrorCodeValues, code);

    /// <summary>The response's <c>error.details.code</c> when it has one (known or <see cref="TelemetryNames.Other"/>).</summary>
    public static string? DetailCode(GatewayResponse response)
        => response.Error?.Details is ErrorDetails details ? Known(DetailCodeValues, details.Code) : null;

    public static string HandshakeOutcome(GatewayResponse response) => response switch
    {
        { Ok: true } => HandshakeOutcomes.Admitted,
        { Error.Code: ErrorCodes.NotPaired } => HandshakeOutcomes.PairingRequired,
        { Error.Code: ErrorCodes.Unavailable } => HandshakeOutcomes.Unavailable,
        _ => HandshakeOutcomes.Refused,
    };

    // The stored constant, not the caller's equal string: nothing the caller allocated is kept by an aggregator.
    private static string Known(FrozenSet<string> known, string? value)
        => value is not null && known.TryGetValue(value, out var name) ? name : TelemetryNames.Other;

    private static FrozenSet<string> Constants(Type type)
        => type.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToFrozenSet(StringComparer.Ordinal);
}
