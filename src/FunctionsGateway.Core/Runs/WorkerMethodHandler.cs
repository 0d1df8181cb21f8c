using FunctionsGateway.Core.Methods;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Runs;

/// <summary><c>node.event</c> from workers, and <c>nodes.list</c> for operators.</summary>
public sealed class WorkerMethodHandler(RunService service, WorkerOffers offers) : IMethodHandler
{
    public IReadOnlyCollection<string> Methods { get; } = [GatewayMethods.NodeEvent, GatewayMethods.NodesList];

    public async Task<GatewayResponse> HandleAsync(MethodContext context, CancellationToken cancellationToken)
    {
        if (context.Method == GatewayMethods.NodesList)
        {
            var workers = await offers.ListAsync(cancellationToken);
            return GatewayResponse.Success(new
            {
                nodes = workers.Select(w => new
                {
                    connectionId = w.ConnectionId,
                    deviceId = w.DeviceId,
                    agentIds = WorkerOffers.Split(w.AgentIds).ToArray(),
                    activeRuns = WorkerOffers.Split(w.ActiveRunIds).Count(),
                    connectedAtMs = w.ConnectedAt.ToUnixTimeMilliseconds(),
                }),
            });
        }

        var p = context.Bind<NodeEventParams>();
        var connectionId = context.Call.ConnectionId;
        if (p.Kind == NodeEventKinds.Ready)
        {
            return await offers.ReadyAsync(connectionId, p.AgentIds, cancellationToken);
        }

        if (string.IsNullOrEmpty(p.RunId) || p.RunId.Length > 64)
        {
            throw new InvalidParamsException("runId is required");
        }

        return p.Kind switch
        {
            NodeEventKinds.Started => await service.StartedAsync(connectionId, context.Principal.DeviceId, p.RunId, cancellationToken),
            NodeEventKinds.Progress => await service.ProgressAsync(connectionId, p.RunId, p.Output, cancellationToken),
            NodeEventKinds.Completed => await service.FinishedAsync(connectionId, p.RunId, true, p.Output, null, cancellationToken),
            NodeEventKinds.Failed => await service.FinishedAsync(connectionId, p.RunId, false, null, p.Error, cancellationToken),
            _ => throw new InvalidParamsException("kind must be ready, started, progress, completed or failed"),
        };
    }
}
