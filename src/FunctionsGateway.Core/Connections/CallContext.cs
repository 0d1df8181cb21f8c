namespace FunctionsGateway.Core.Connections;

public enum CallOrigin
{
    /// <summary>Anything that arrived over the network (the SignalR upstream). Always treated as remote.</summary>
    Network = 0,

    /// <summary>Our own in-process code (the spawn function's sub-agent). Never reachable from the network.</summary>
    Internal = 1,
}

/// <summary>Who is calling: the transport fills it from the upstream headers; only in-process code uses Internal.</summary>
public readonly record struct CallContext(string ConnectionId, CallOrigin Origin = CallOrigin.Network, string? UserId = null);
