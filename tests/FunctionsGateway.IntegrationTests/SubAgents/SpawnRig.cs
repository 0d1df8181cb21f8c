using System.Text.Json;
using FunctionsGateway.Client;
using FunctionsGateway.Core.Runs;
using FunctionsGateway.Core.Sessions;
using FunctionsGateway.Core.SubAgents;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace FunctionsGateway.IntegrationTests.SubAgents;

/// <summary>
/// The core wired as the hosts wire it, against Azurite, with the spawn queue and run timers in hand: a test spawns as
/// an operator, delivers the spawn message itself, and plays the worker through <c>node.event</c>.
/// </summary>
public sealed class SpawnRig : IAsyncDisposable
{
    private SpawnRig(GatewayHarness gateway, ManualQueues queues, RecordingCalls calls)
    {
        Gateway = gateway;
        Queues = queues;
        Calls = calls;
    }

    public GatewayHarness Gateway { get; }
    public ManualQueues Queues { get; }
    public RecordingCalls Calls { get; }
    public IRunStore Runs => Gateway.Get<IRunStore>();
    public ISessionStore Sessions => Gateway.Get<ISessionStore>();
    public SubAgentSpawner Spawner => Gateway.Get<SubAgentSpawner>();
    public SubAgentCompletion Completion => Gateway.Get<SubAgentCompletion>();
    public RunService RunService => Gateway.Get<RunService>();

    public static async Task<SpawnRig> StartAsync(ISubAgentScopePolicy? policy = null, IDictionary<string, string?>? settings = null)
    {
        var queues = new ManualQueues();
        var calls = new RecordingCalls();
        // A worker pool of its own: other tests' workers (which share Azurite) are never offered this rig's runs.
        var pooled = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["Gateway:Runs:WorkerPool"] = "rig" + Guid.NewGuid().ToString("N")[..12],
        };
        var gateway = await GatewayHarness.StartAsync(services =>
        {
            services.AddSingleton<ISpawnQueue>(queues);
            services.AddSingleton<IRunTimers>(queues);
            services.AddSingleton<ISubAgentCallObserver>(calls);
            if (policy is not null)
            {
                services.AddSingleton(policy);
            }
        }, pooled);
        return new SpawnRig(gateway, queues, calls);
    }

    /// <summary>A fresh main session per test, so tests sharing Azurite never share counters.</summary>
    public static string NewMainSession() => SessionKeys.Main("t" + Guid.NewGuid().ToString("N")[..12]);

    public async Task<Attempt> OperatorAsync(params string[] scopes)
    {
        var key = DeviceKey.Generate();
        return await Gateway.PairAsync(key, scopes);
    }

    /// <summary>
    /// A paired worker that serves only the agents of <paramref name="sessionKeys"/>: tests share Azurite and so the
    /// worker registry, and a worker serving every agent would be offered other tests' runs.
    /// </summary>
    public async Task<Attempt> WorkerAsync(params string[] sessionKeys)
    {
        var key = DeviceKey.Generate();
        var worker = await Gateway.PairAsync(key, [], GatewayRoles.Node);
        var agentIds = sessionKeys.Select(k => k.Split(':')[1]).Distinct().ToArray();
        var ready = await CallAsync(worker, GatewayMethods.NodeEvent, new NodeEventParams { Kind = NodeEventKinds.Ready, AgentIds = agentIds });
        Assert.True(ready.Ok, GatewayHarness.Describe(ready));
        return worker;
    }

    public async Task<GatewayResponse> CallAsync(Attempt connection, string method, object? parameters = null)
        => (await Gateway.CallAsync(connection.ConnectionId, method, parameters)).Response;

    /// <summary><c>sessions.spawn</c>; asserts it was accepted and returns its payload.</summary>
    public async Task<SpawnAccepted> SpawnAsync(Attempt requester, object parameters)
    {
        var answer = await CallAsync(requester, GatewayMethods.SessionsSpawn, parameters);
        Assert.True(answer.Ok, GatewayHarness.Describe(answer));
        return (SpawnAccepted)answer.Payload!;
    }

    /// <summary>Delivers every queued spawn once, as the spawn function would.</summary>
    public async Task<List<SpawnRequest>> DeliverSpawnsAsync()
    {
        var spawns = Queues.TakeSpawns();
        foreach (var spawn in spawns)
        {
            await Spawner.SpawnAsync(spawn, lastAttempt: false, CancellationToken.None);
        }

        return spawns;
    }

    /// <summary>The runs offered so far to one worker connection.</summary>
    public List<NodeRunEvent> OffersTo(Attempt worker)
        => [.. Gateway.Notifier.Events.Where(e => e.Name == GatewayEvents.NodeRun && e.Audience.Key == worker.ConnectionId).Select(e => (NodeRunEvent)e.Payload)];

    public List<T> EventsTo<T>(string sessionKey, string name)
        => [.. Gateway.Notifier.Events.Where(e => e.Name == name && e.Audience.Key == sessionKey).Select(e => (T)e.Payload)];

    public async Task<GatewayResponse> NodeEventAsync(Attempt worker, string runId, string kind, string? output = null, string? error = null)
        => await CallAsync(worker, GatewayMethods.NodeEvent, new NodeEventParams { RunId = runId, Kind = kind, Output = output, Error = error });

    /// <summary>Fires the finished timers of sub-agent runs, as the run-timer function would.</summary>
    public async Task FinishAsync(string runId)
    {
        foreach (var timer in Queues.TakeTimers(RunTimerKind.Finished, runId))
        {
            await Completion.HandleFinishedAsync(timer.RunId, CancellationToken.None);
        }
    }

    public static JsonElement Json(object? value) => GatewayHarness.Json(value);

    public ValueTask DisposeAsync() => Gateway.DisposeAsync();
}
