using System.Collections.Concurrent;
using System.Text.Json;
using FunctionsGateway.Client;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.IntegrationTests.EndToEnd;

/// <summary>
/// The events an operator console's live views rely on (protocol §7), through the local host with real SignalR
/// clients over real sockets: who receives each, and that none carries a token.
/// </summary>
[Collection(LocalHostCollection.Name)]
public sealed class LiveViewEventTests(LocalHostFixture host) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly ErrorLogCheck errorLogs = host.CheckErrorLogs();

    [Fact]
    public async Task Device_changes_reach_pairing_watchers_and_audit_entries_reach_admins_only()
    {
        await using var admin = await PairedAsync([OperatorScopes.Admin]);
        await using var pairing = await PairedAsync([OperatorScopes.Pairing]);
        var readerIdentity = LocalHostFixture.NewIdentityPath();
        var reader = await PairedAsync([OperatorScopes.Read], readerIdentity);
        var adminEvents = Record(admin);
        var pairingEvents = Record(pairing);
        var readerEvents = Record(reader);

        var options = host.Options(LocalHostFixture.NewIdentityPath(), [OperatorScopes.Write]);
        var pending = await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(options));
        var approval = await admin.InvokeAsync(GatewayMethods.DevicePairApprove, new { requestId = pending.RequestId });
        var deviceId = approval.GetProperty("deviceId").GetString()!;

        var paired = await WaitForAsync(pairingEvents, GatewayEvents.DeviceChanged, p => Str(p, "deviceId") == deviceId);
        Assert.Equal((DeviceChanges.Paired, GatewayRoles.Operator), (Str(paired, "change"), Str(paired, "role")));
        Assert.Equal([OperatorScopes.Write], paired.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        await WaitForAsync(adminEvents, GatewayEvents.DeviceChanged, p => Str(p, "deviceId") == deviceId);
        var audited = await WaitForAsync(adminEvents, GatewayEvents.AuditAppended,
            p => Str(p.GetProperty("entry"), "deviceId") == deviceId && Str(p.GetProperty("entry"), "action") == "pairing.approved");
        Assert.Equal("device:" + admin.DeviceId, Str(audited.GetProperty("entry"), "actor"));

        // The audit entry went out before device.changed; events to one connection keep their order, so a pairing
        // watcher that has its device.changed would also have the audit entry had it been sent to it.
        Assert.DoesNotContain(pairingEvents, e => e.Event == GatewayEvents.AuditAppended);

        // Revoking the reader closes it: its close comes after anything sent to it before, and it saw none of these.
        await admin.InvokeAsync(GatewayMethods.DeviceTokenRevoke, new { deviceId = reader.DeviceId, role = GatewayRoles.Operator });
        Assert.Equal(CloseReasons.DeviceTokenRevoked, await reader.Closed.WaitAsync(Patience));
        await reader.DisposeAsync();
        Assert.DoesNotContain(readerEvents, e => e.Event.StartsWith("device.", StringComparison.Ordinal) || e.Event.StartsWith("audit.", StringComparison.Ordinal));
        var revoked = await WaitForAsync(pairingEvents, GatewayEvents.DeviceChanged, p => Str(p, "deviceId") == reader.DeviceId);
        Assert.Equal(DeviceChanges.TokenRevoked, Str(revoked, "change"));

        // No event carries a token: not the tokens these devices hold, not a field named like one.
        var tokens = new[] { readerIdentity }.Select(DeviceIdentityStore.Load).Select(s => s.GetDeviceToken(GatewayRoles.Operator)).OfType<string>().ToList();
        Assert.NotEmpty(tokens);
        foreach (var e in adminEvents.Concat(pairingEvents))
        {
            var json = e.Payload.GetRawText();
            Assert.DoesNotContain("token\":", json, StringComparison.OrdinalIgnoreCase);
            Assert.All(tokens, t => Assert.DoesNotContain(t, json, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_subscriber_of_the_requester_session_sees_the_child_accepted_running_completed_and_its_cleanup()
    {
        var agentId = "e2e" + Guid.NewGuid().ToString("N")[..12];
        var requester = SessionKeys.Main(agentId);
        await using var op = await PairedAsync([OperatorScopes.Write]);
        await using var workerClient = await PairedAsync([], role: GatewayRoles.Node);
        await using var worker = new AgentWorkerHost((run, _) => Task.FromResult("echo: " + run.Task), new AgentWorkerOptions { AgentIds = [agentId] });
        await worker.StartAsync(workerClient);
        var events = Record(op);
        await op.InvokeAsync(GatewayMethods.SessionsSubscribe, new { sessionKey = requester });

        var accepted = await op.InvokeAsync(GatewayMethods.SessionsSpawn, new { sessionKey = requester, task = "hi", cleanup = SpawnCleanup.Delete });
        var runId = accepted.GetProperty("runId").GetString()!;
        var child = accepted.GetProperty("childSessionKey").GetString()!;

        var completed = await WaitForAsync(events, GatewayEvents.SubagentCompleted, p => Str(p, "runId") == runId);
        Assert.Equal((RunStatuses.Completed, SpawnCleanup.Delete), (Str(completed, "status"), Str(completed, "cleanup")));
        var seen = events.Where(e => (e.Event == GatewayEvents.SubagentSpawned || e.Event == GatewayEvents.RunStatus) && Str(e.Payload, "runId") == runId).ToList();
        Assert.Equal(GatewayEvents.SubagentSpawned, seen[0].Event);
        Assert.Equal(("accepted", child, requester), (Str(seen[0].Payload, "status"), Str(seen[0].Payload, "childSessionKey"), Str(seen[0].Payload, "requesterSessionKey")));
        Assert.Equal([RunStatuses.Queued, RunStatuses.Running, RunStatuses.Completed], seen.Skip(1).Select(e => Str(e.Payload, "status")));
        Assert.All(seen.Skip(1), e => Assert.Equal((child, requester), (Str(e.Payload, "sessionKey"), Str(e.Payload, "requesterSessionKey"))));

        // With cleanup "delete" the child then goes: its row on the requester is marked deleted.
        string? status = null;
        await Eventually.HoldsAsync(async () =>
        {
            var session = await op.InvokeAsync(GatewayMethods.SessionsGet, new { sessionKey = requester });
            status = session.GetProperty("children").EnumerateArray().Where(c => Str(c, "childSessionKey") == child).Select(c => Str(c, "status")).FirstOrDefault();
            return status == "deleted";
        }, Patience, "the child was not deleted after its run; its row says " + status);
    }

    public void Dispose() => errorLogs.AssertNoUnexpectedErrors();

    private async Task<GatewayClient> PairedAsync(string[] scopes, string? identity = null, string role = GatewayRoles.Operator)
    {
        var options = host.Options(identity ?? LocalHostFixture.NewIdentityPath(), scopes, role: role);
        var pending = await Assert.ThrowsAsync<PairingRequiredException>(() => GatewayClient.ConnectAsync(options));
        using (var admin = host.Admin())
        {
            await admin.ApproveAsync(pending.RequestId);
        }

        return await GatewayClient.ConnectAsync(options);
    }

    private static ConcurrentQueue<GatewayEvent> Record(GatewayClient client)
    {
        var events = new ConcurrentQueue<GatewayEvent>();
        client.EventReceived += events.Enqueue;
        return events;
    }

    private static async Task<JsonElement> WaitForAsync(ConcurrentQueue<GatewayEvent> events, string name, Func<JsonElement, bool> match)
    {
        GatewayEvent? found = null;
        await Eventually.HoldsAsync(() => (found = events.FirstOrDefault(e => e.Event == name && match(e.Payload))) is not null, Patience,
            $"no matching {name} event; seen: {string.Join(", ", events.Select(x => x.Event))}");
        return found!.Payload;
    }

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
