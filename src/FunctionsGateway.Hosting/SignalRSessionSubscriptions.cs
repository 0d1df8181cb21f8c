using FunctionsGateway.Core.Sessions;
using FunctionsGateway.Protocol;
using FunctionsGateway.SignalR.Serverless;

namespace FunctionsGateway.Hosting;

/// <summary>Session subscribers are members of the session's SignalR group, so one REST call reaches them all.</summary>
public sealed class SignalRSessionSubscriptions(ISignalRServiceClient service) : ISessionSubscriptions
{
    public async Task SubscribeAsync(string connectionId, string sessionKey, CancellationToken cancellationToken)
        => await service.AddConnectionToGroupAsync(GatewayProtocol.Hub, GatewayGroups.Session(sessionKey), connectionId, cancellationToken);

    public async Task UnsubscribeAsync(string connectionId, string sessionKey, CancellationToken cancellationToken)
        => await service.RemoveConnectionFromGroupAsync(GatewayProtocol.Hub, GatewayGroups.Session(sessionKey), connectionId, cancellationToken);
}
