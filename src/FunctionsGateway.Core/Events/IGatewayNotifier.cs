using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Events;

public enum AudienceKind
{
    /// <summary>Connections holding operator.pairing or operator.admin.</summary>
    PairingWatchers,
    Connection,
    Session,
    Nodes,

    /// <summary>Network operator connections holding operator.admin (what <c>audit.list</c> needs).</summary>
    Admins,
}

public readonly record struct EventAudience(AudienceKind Kind, string? Key = null)
{
    public static EventAudience PairingWatchers => new(AudienceKind.PairingWatchers);

    public static EventAudience Connection(string connectionId) => new(AudienceKind.Connection, connectionId);

    public static EventAudience Session(string sessionKey) => new(AudienceKind.Session, sessionKey);

    public static EventAudience Nodes => new(AudienceKind.Nodes);

    public static EventAudience Admins => new(AudienceKind.Admins);
}

public sealed record AdmittedConnection(string ConnectionId, string DeviceId, GatewayRole Role, ScopeSet Scopes, bool IsInternal);

/// <summary>How the core reaches clients: the SignalR transport implements it over the service's REST API.</summary>
public interface IGatewayNotifier
{
    /// <summary>Called once a connection is admitted, so the transport can put it into its groups.</summary>
    Task ConnectionAdmittedAsync(AdmittedConnection connection, CancellationToken cancellationToken);

    Task PublishAsync(EventAudience audience, string eventName, object payload, CancellationToken cancellationToken);

    /// <summary>Closes a live connection with a reason (revocation, removal).</summary>
    Task CloseConnectionAsync(string connectionId, string reason, CancellationToken cancellationToken);
}

/// <summary>Payload of <c>device.pair.resolved</c>.</summary>
public sealed record PairResolvedEvent(string RequestId, string DeviceId, string Decision, long Ts);

/// <summary>
/// Payload of <c>device.changed</c>: what happened to a device (<see cref="DeviceChanges"/>), the role it concerns and
/// the scopes that role holds now (none once revoked or removed); <see cref="Internal"/> is true (else omitted) for a
/// sub-agent's in-process identity when paired or removed. Never a token.
/// </summary>
public sealed record DeviceChangedEvent(string DeviceId, string Change, string? Role, string[]? Roles, string[] Scopes, long Ts, bool? Internal = null);
