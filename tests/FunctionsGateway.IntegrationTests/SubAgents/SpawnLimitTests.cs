using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.SubAgents;

/// <summary>Each spawn limit refuses by name, and a refusal reserves nothing.</summary>
public sealed class SpawnLimitTests
{
    public static TheoryData<string, string> Refusals => new()
    {
        { "maxTaskBytes", "{\"task\":\"" + new string('x', 16 * 1024 + 1) + "\"}" },
        { "maxRunTimeoutSeconds", "{\"task\":\"t\",\"runTimeoutSeconds\":3601}" },
        { "allowedAgentIds", "{\"task\":\"t\",\"agentId\":\"someone-else\"}" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_spawn_over_a_limit_is_refused_naming_it_and_stores_nothing(string limit, string json)
    {
        await using var rig = await SpawnRig.StartAsync();
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var parameters = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        parameters["sessionKey"] = requester;

        var refused = await rig.CallAsync(op, GatewayMethods.SessionsSpawn, parameters);

        AssertLimit(refused, limit);
        Assert.Null(await rig.Sessions.GetAsync(requester, default));
        Assert.Empty(rig.Queues.Spawns);
    }

    [Fact]
    public async Task Active_children_are_capped_and_a_finished_child_frees_its_slot()
    {
        await using var rig = await SpawnRig.StartAsync(settings: new Dictionary<string, string?> { ["Gateway:SubAgents:MaxActiveChildren"] = "2" });
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var worker = await rig.WorkerAsync(requester);
        var first = await rig.SpawnAsync(op, new { sessionKey = requester, task = "1" });
        await rig.SpawnAsync(op, new { sessionKey = requester, task = "2" });

        AssertLimit(await rig.CallAsync(op, GatewayMethods.SessionsSpawn, new { sessionKey = requester, task = "3" }), "maxActiveChildren");

        await rig.DeliverSpawnsAsync();
        await rig.NodeEventAsync(worker, first.RunId, NodeEventKinds.Started);
        await rig.NodeEventAsync(worker, first.RunId, NodeEventKinds.Completed, output: "done");
        await rig.FinishAsync(first.RunId);
        await rig.SpawnAsync(op, new { sessionKey = requester, task = "3" });
    }

    [Fact]
    public async Task Concurrent_spawns_on_one_session_each_reserve_exactly_one_slot()
    {
        await using var rig = await SpawnRig.StartAsync();
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);

        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => rig.CallAsync(op, GatewayMethods.SessionsSpawn, new { sessionKey = requester, task = "t" + i })));

        Assert.Equal(10, answers.Count(a => a.Ok));
        Assert.All(answers.Where(a => !a.Ok), a => AssertLimit(a, "maxActiveChildren"));
        var session = await rig.Sessions.GetAsync(requester, default);
        Assert.Equal((10, 10), (session!.ActiveChildren, session.LifetimeChildren));
        Assert.Equal(10, (await rig.Sessions.ListChildrenAsync(requester, default)).Count);
        Assert.Equal(10, rig.Queues.Spawns.Count);
    }

    [Fact]
    public async Task Children_over_a_session_lifetime_and_depth_are_capped()
    {
        await using var rig = await SpawnRig.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Gateway:SubAgents:MaxChildrenPerSession"] = "1",
            ["Gateway:SubAgents:MaxDepth"] = "1",
        });
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);
        var child = await rig.SpawnAsync(op, new { sessionKey = requester, task = "1" });
        AssertLimit(await rig.CallAsync(op, GatewayMethods.SessionsSpawn, new { sessionKey = requester, task = "2" }), "maxChildrenPerSession");

        await rig.DeliverSpawnsAsync();
        AssertLimit(await rig.CallAsync(op, GatewayMethods.SessionsSpawn, new { sessionKey = child.ChildSessionKey, task = "grandchild" }), "maxDepth");
    }

    [Fact]
    public async Task An_idempotency_key_answers_a_retry_with_the_same_run_and_child()
    {
        await using var rig = await SpawnRig.StartAsync();
        var requester = SpawnRig.NewMainSession();
        var op = await rig.OperatorAsync(OperatorScopes.Write);

        var first = await rig.SpawnAsync(op, new { sessionKey = requester, task = "t", idempotencyKey = "job-7" });
        var again = await rig.SpawnAsync(op, new { sessionKey = requester, task = "t", idempotencyKey = "job-7" });
        var other = await rig.SpawnAsync(op, new { sessionKey = requester, task = "t", idempotencyKey = "job-8" });

        Assert.Equal((first.RunId, first.ChildSessionKey), (again.RunId, again.ChildSessionKey));
        Assert.NotEqual(first.RunId, other.RunId);
        Assert.Equal(2, (await rig.Sessions.GetAsync(requester, default))!.LifetimeChildren);
    }

    [Fact]
    public async Task A_spawn_needs_a_requester_session_and_a_task()
    {
        await using var rig = await SpawnRig.StartAsync();
        var op = await rig.OperatorAsync(OperatorScopes.Write);

        var noSession = await rig.CallAsync(op, GatewayMethods.SessionsSpawn, new { task = "t" });
        var unknown = await rig.CallAsync(op, GatewayMethods.SessionsSpawn, new { sessionKey = SessionKeys.Subagent("x", Guid.NewGuid()), task = "t" });
        var noTask = await rig.CallAsync(op, GatewayMethods.SessionsSpawn, new { sessionKey = SpawnRig.NewMainSession() });

        Assert.Equal(DetailCodes.InvalidParams, Code(noSession));
        Assert.Equal(DetailCodes.SessionNotFound, Code(unknown));
        Assert.Equal(DetailCodes.InvalidParams, Code(noTask));
        Assert.Empty(rig.Queues.Spawns);
    }

    private static void AssertLimit(GatewayResponse refused, string limit)
    {
        Assert.False(refused.Ok);
        var details = GatewayHarness.Json(refused.Error).GetProperty("details");
        Assert.Equal(DetailCodes.SpawnLimit, details.GetProperty("code").GetString());
        Assert.Equal(limit, details.GetProperty("limit").GetString());
    }

    private static string? Code(GatewayResponse response) => GatewayHarness.Json(response.Error).GetProperty("details").GetProperty("code").GetString();
}
