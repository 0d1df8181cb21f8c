using System.Text.Json;
using FunctionsGateway.Core.Events;
using FunctionsGateway.SignalR.Serverless;
using FunctionsGateway.Protocol;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Hosting;

/// <summary>SignalR groups the gateway keeps connections in, so events go out as one REST call each.</summary>
public static class GatewayGroups
{
    public const string PairingWatchers = "pairing-watchers";
    public const string Nodes = "nodes";

    /// <summary>Network operator connections admitted with operator.admin: the audience of <c>audit.appended</c>.</summary>
    public const string Admins = "admins";

    public static string Device(string deviceId) => "device:" + deviceId;

    public static string Session(string sessionKey) => "session:" + sessionKey;
}

/// <summary>Reaches clients through the service's data-plane REST API (docs/protocol.md §6).</summary>
public sealed partial class SignalRGatewayNotifier(ISignalRServiceClient service, ILogger<SignalRGatewayNotifier> logger) : IGatewayNotifier
{
    private long seq;

    public async Task ConnectionAdmittedAsync(AdmittedConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            await JoinGroupsAsync(connection, cancellationToken);
        }
        catch (Exception ex) when (ex is SignalRServiceException or HttpRequestException)
        {
            // The admission is committed (and may have minted a token the client must receive): missing events
            // are the lesser harm, so admission still answers hello-ok.
            LogGroupJoinFailed(logger, ex, connection.ConnectionId);
        }
    }

    private async Task JoinGroupsAsync(AdmittedConnection connection, CancellationToken cancellationToken)
    {
        var hub = GatewayProtocol.Hub;
        await service.AddConnectionToGroupAsync(hub, GatewayGroups.Device(connection.DeviceId), connection.ConnectionId, cancellationToken);
        if (connection.Role == GatewayRole.Node)
        {
            await service.AddConnectionToGroupAsync(hub, GatewayGroups.Nodes, connection.ConnectionId, cancellationToken);
        }
        else if (OperatorScopes.Satisfies(connection.Scopes, ScopeSet.Pairing))
        {
            // Pairing events go to holders of operator.pairing or operator.admin only.
            await service.AddConnectionToGroupAsync(hub, GatewayGroups.PairingWatchers, connection.ConnectionId, cancellationToken);
        }

        // A sub-agent's in-process identity holds operator.admin but may never read the audit (protocol §5.4).
        if (connection.Role == GatewayRole.Operator && !connection.IsInternal && OperatorScopes.Satisfies(connection.Scopes, ScopeSet.Admin))
        {
            await service.AddConnectionToGroupAsync(hub, GatewayGroups.Admins, connection.ConnectionId, cancellationToken);
        }
    }

    public async Task PublishAsync(EventAudience audience, string eventName, object payload, CancellationToken cancellationToken)
    {
        var frame = new GatewayEventFrame(eventName, payload, Interlocked.Increment(ref seq));
        var args = JsonSerializer.SerializeToUtf8Bytes(new object[] { frame }, GatewayJson.Options);
        try
        {
            switch (audience.Kind)
            {
                case AudienceKind.Connection:
                    await service.SendToConnectionAsync(GatewayProtocol.Hub, audience.Key!, GatewayEvents.Target, args, cancellationToken);
                    break;
                default:
                    await service.SendToGroupAsync(GatewayProtocol.Hub, GroupOf(audience), GatewayEvents.Target, args, null, cancellationToken);
                    break;
            }
        }
        catch (SignalRServiceException ex)
        {
            // Events are notifications; the state change behind them is already committed.
            LogPublishFailed(logger, ex, eventName, ex.StatusCode);
        }
        catch (HttpRequestException ex)
        {
            LogPublishFailed(logger, ex, eventName, 0);
        }
    }

    public async Task CloseConnectionAsync(string connectionId, string reason, CancellationToken cancellationToken)
        => await service.CloseConnectionAsync(GatewayProtocol.Hub, connectionId, reason, cancellationToken);

    private static string GroupOf(EventAudience audience) => audience.Kind switch
    {
        AudienceKind.PairingWatchers => GatewayGroups.PairingWatchers,
        AudienceKind.Nodes => GatewayGroups.Nodes,
        AudienceKind.Admins => GatewayGroups.Admins,
        AudienceKind.Session => GatewayGroups.Session(audience.Key!),
        _ => throw new ArgumentOutOfRangeException(nameof(audience), audience.Kind, null),
    };

    [LoggerMessage(EventId = 521, Level = LogLevel.Warning, Message = "connection {ConnectionId} could not join its groups; it will miss events")]
    private static partial void LogGroupJoinFailed(ILogger logger, Exception exception, string connectionId);

    [LoggerMessage(EventId = 520, Level = LogLevel.Warning, Message = "event {Event} was not delivered (status {Status})")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, string @event, int status);
}
