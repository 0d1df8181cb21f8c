using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Methods;

/// <summary>A dispatch outcome: the response, and a close the transport performs only after the response is delivered.</summary>
public readonly record struct DispatchResult(GatewayResponse Response, string? CloseAfterReason = null);
