using System.Collections.Concurrent;
using FunctionsGateway.Client;
using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Maintenance;
using FunctionsGateway.Core.Runs;
using FunctionsGateway.Core.SubAgents;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.IntegrationTests.SubAgents;
using FunctionsGateway.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FunctionsGateway.IntegrationTests.Maintenance;

/// <summary>
/// The service as the sweep sees it: a connection is live while the test says so, gone otherwise; or the whole service is
/// unreachable. Counts every question, since a fresh row must cost none.
/// </summary>
public sealed class ScriptedPresence : IConnectionPresence
{
    public ConcurrentDictionary<string, bool> Live { get; } = new();
    public ConcurrentQueue<string> Asked { get; } = new();
    public bool Unreachable { get; set; }

    public Task<ConnectionPresence> CheckAsync(string connectionId, CancellationToken cancellationToken)
    {
        Asked.Enqueue(connectionId);
        return Task.FromResult(Unreachable ? ConnectionPresence.Unknown : Live.ContainsKey(connectionId) ? ConnectionPresence.Present : ConnectionPresence.Gone);
    }
}

/// <summary>
/// A gateway (core and storage, against Azurite) that sweeps: its connection rows are stamped with a service of its own
/// and its workers are in a pool of its own, so its sweeps see only this test's rows, however many tests share Azurite.
/// Two rigs given the same <see cref="Service"/>, pool and presence are two hosts of one gateway. It runs the connection
/// and worker steps only.
/// </summary>
public sealed class SweepRig : IAsyncDisposable
{
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(10);

    private SweepRig(GatewayHarness gateway, string service, string pool, ScriptedPresence presence, ManualQueues queues)
    {
        Gateway = gateway;
        Service = service;
        Pool = pool;
        Presence = presence;
        Queues = queues;
    }

    public GatewayHarness Gateway { get; }
    public string Service { get; }
    public string Pool { get; }
    public ScriptedPresence Presence { get; }
    public ManualQueues Queues { get; }
    public Sweeper Sweeper => Gateway.Get<Sweeper>();
    public IConnectionStore Connections => Gateway.Get<IConnectionStore>();
    public IRunStore Runs => Gateway.Get<IRunStore>();

    public static async Task<SweepRig> StartAsync(
        SweepRig? sameGatewayAs = null,
        IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? configure = null)
    {
        var service = sameGatewayAs?.Service ?? "http://sweep-" + Guid.NewGuid().ToString("N")[..16] + ".test";
        var pool = sameGatewayAs?.Pool ?? "sweep" + Guid.NewGuid().ToString("N")[..12];
        var presence = sameGatewayAs?.Presence ?? new ScriptedPresence();
        var queues = new ManualQueues();
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["Gateway:Runs:WorkerPool"] = pool,
            ["Gateway:Sweep:GracePeriod"] = Grace.ToString(),
        };
        var gateway = await GatewayHarness.StartAsync(services =>
        {
            services.AddSingleton(new ConnectionScope(service));
            services.AddSingleton<IConnectionPresence>(presence);
            services.AddSingleton<ISpawnQueue>(queues);
            services.AddSingleton<IRunTimers>(queues);

            // Only the steps under test: another concern's step (expired pairing requests, say) would act on the
            // shared Azurite by this rig's moved clock, and its requests would blur the counts.
            services.RemoveAll<ISweepStep>();
            services.AddSingleton<ISweepStep, StaleConnectionSweep>();
            services.AddSingleton<ISweepStep, StaleWorkerSweep>();
            configure?.Invoke(services);
        }, all);
        return new SweepRig(gateway, service, pool, presence, queues);
    }

    /// <summary>Moves this host's clock past the grace period: every row written so far is idle.</summary>
    public void PassGracePeriod() => Gateway.Time.Advance(Grace + TimeSpan.FromMinutes(1));

    public Task<SweepReport> SweepAsync() => Sweeper.RunAsync(CancellationToken.None);

    /// <summary>A paired, admitted connection the service holds (live until the test forgets it).</summary>
    public async Task<Attempt> LiveAsync(string role = GatewayRoles.Operator, params string[] scopes)
    {
        using var key = DeviceKey.Generate();
        var attempt = await Gateway.PairAsync(key, scopes, role);
        Presence.Live[attempt.ConnectionId] = true;
        return attempt;
    }

    /// <summary>The service lost the connection and its disconnect event never reached the gateway.</summary>
    public void Lose(string connectionId) => Presence.Live.TryRemove(connectionId, out _);

    /// <summary>
    /// An admitted row written straight to the store, for a made-up connection and device: cheap enough to make many, and
    /// calls on it are authorized from the row as on any connection. Live (the service holds it) unless
    /// <paramref name="live"/> is false.
    /// </summary>
    public async Task<string> AdmittedRowAsync(bool live, string? connectionId = null, ScopeSet scopes = ScopeSet.None)
        => await AdmitAsync(live, connectionId, GatewayRoles.Operator, scopes);

    /// <summary>An admitted <c>node</c> row registered as a worker, as admission registers one.</summary>
    public async Task<string> WorkerRowAsync(bool live)
    {
        var id = await AdmitAsync(live, null, GatewayRoles.Node, ScopeSet.None);
        var row = (await Connections.GetAsync(id, CancellationToken.None))!;
        await Gateway.Get<WorkerOffers>().RegisterAsync(id, row.DeviceId!, CancellationToken.None);
        return id;
    }

    private async Task<string> AdmitAsync(bool live, string? connectionId, string role, ScopeSet scopes)
    {
        var id = connectionId ?? GatewayHarness.NewConnectionId();
        Assert.True(await Connections.TryAddAsync(Challenged(id, Gateway.Time.GetUtcNow().AddMinutes(1)), CancellationToken.None));
        var row = (await Connections.GetAsync(id, CancellationToken.None))!;
        row.State = ConnectionState.Admitted;
        row.DeviceId = "dev" + Guid.NewGuid().ToString("N");
        row.Role = role;
        row.ScopeMask = (int)scopes;
        row.AdmittedAt = Gateway.Time.GetUtcNow();
        Assert.True(await Connections.TryReplaceAsync(row, CancellationToken.None));
        if (live)
        {
            Presence.Live[id] = true;
        }

        return id;
    }

    /// <summary>A challenged row whose spent nonce expires at <paramref name="expiresAt"/> (a client whose connect failed and that went no further).</summary>
    public async Task<string> ChallengedRowAsync(DateTimeOffset expiresAt)
    {
        var id = GatewayHarness.NewConnectionId();
        Assert.True(await Connections.TryAddAsync(Challenged(id, expiresAt), CancellationToken.None));
        return id;
    }

    /// <summary>The row a failed connect leaves: its nonce spent, one attempt counted.</summary>
    private static ConnectionRecord Challenged(string id, DateTimeOffset expiresAt)
    {
        var row = new ConnectionRecord { ConnectionId = id, State = ConnectionState.Challenged };
        row.Spend("nonce", expiresAt);
        return row;
    }

    public async Task<bool> RowExistsAsync(string connectionId) => await Connections.GetAsync(connectionId, CancellationToken.None) is not null;

    public async Task<bool> WorkerExistsAsync(string connectionId) => await Runs.GetWorkerAsync(connectionId, CancellationToken.None) is not null;

    public ValueTask DisposeAsync() => Gateway.DisposeAsync();
}
