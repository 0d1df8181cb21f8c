using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Events;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Runs;

/// <summary>Every admitted <c>node</c> connection is a worker until it goes away.</summary>
public sealed class WorkerConnections(WorkerOffers offers, RunService runs) : IConnectionObserver
{
    public Task AdmittedAsync(AdmittedConnection connection, CancellationToken cancellationToken)
        => connection.Role == GatewayRole.Node ? offers.RegisterAsync(connection.ConnectionId, connection.DeviceId, cancellationToken) : Task.CompletedTask;

    public Task GoneAsync(ConnectionRecord connection, CancellationToken cancellationToken)
        => connection.Role == GatewayRoles.Node ? runs.WorkerGoneAsync(connection.ConnectionId, cancellationToken) : Task.CompletedTask;
}
