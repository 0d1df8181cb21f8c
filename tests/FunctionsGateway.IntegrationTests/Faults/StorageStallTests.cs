using System.Diagnostics;
using System.Text.Json;
using Azure.Core;
using Azure.Data.Tables;
using FunctionsGateway.Client;
using FunctionsGateway.Core.Audit;
using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Events;
using FunctionsGateway.Core.Maintenance;
using FunctionsGateway.Core.Methods;
using FunctionsGateway.Hosting;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;
using FunctionsGateway.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace FunctionsGateway.IntegrationTests.Faults;

/// <summary>
/// Storage frozen mid-flight (SIGSTOP of a private Azurite): every call and every admin request answers within the
/// storage deadline with UNAVAILABLE / 503, and once storage resumes everything works again, nothing written before
/// the stall is lost, and a retried approval takes effect exactly once.
/// </summary>
public sealed class StorageStallTests
{
    /// <summary>Short, so the test is quick; the bound asserted is the deadline plus a generous margin for a loaded machine.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(4);

    /// <summary>How long a test waits before calling a call hung (without a deadline it would wait minutes).</summary>
    private static readonly TimeSpan Hung = TimeSpan.FromSeconds(45);

    private static readonly string[] Read = [OperatorScopes.Read];

    [Fact]
    public async Task Calls_and_approvals_during_a_stall_answer_unavailable_within_the_deadline_and_succeed_after_it()
    {
        await using var storage = await PrivateAzurite.StartAsync();
        await using var gw = await StartGatewayAsync(storage);
        var admin = gw.Get<AdminPairingApi>();
        using var approverKey = DeviceKey.Generate();
        using var operatorKey = DeviceKey.Generate();
        using var viaMethodKey = DeviceKey.Generate();
        using var viaAdminKey = DeviceKey.Generate();
        var approver = await gw.PairAsync(approverKey, [OperatorScopes.Pairing, OperatorScopes.Read]);
        var op = await gw.PairAsync(operatorKey, Read);
        var viaMethod = (await gw.ConnectAsync(viaMethodKey, Read)).RequestId;
        var viaAdmin = (await gw.ConnectAsync(viaAdminKey, Read)).RequestId;
        using var freshKey = DeviceKey.Generate();
        var (freshId, freshConnect) = await ChallengedConnectAsync(gw, freshKey);

        storage.Pause();
        Timed<DispatchResult>[] calls;
        Timed<HttpReply>[] requests;
        try
        {
            var status = Time(() => gw.CallAsync(op.ConnectionId, GatewayMethods.Status));
            // The challenge needs no storage (its nonce is stateless); the connect reads the device partition.
            var connect = Time(() => gw.CallAsync(freshId, GatewayMethods.Connect, freshConnect));
            var approve = Time(() => gw.CallAsync(approver.ConnectionId, GatewayMethods.DevicePairApprove, new { requestId = viaMethod }));
            var list = Time(() => admin.ListAsync(new Microsoft.AspNetCore.Http.DefaultHttpContext().Request, CancellationToken.None));
            var adminApprove = Time(() => admin.ApproveAsync(viaAdmin, CancellationToken.None));
            calls = await Task.WhenAll(status, connect, approve).WaitAsync(Hung);
            requests = await Task.WhenAll(list, adminApprove).WaitAsync(Hung);
        }
        finally
        {
            storage.Resume();
        }

        foreach (var call in calls)
        {
            AssertWithinDeadline(call.Elapsed);
            AssertStorageUnavailable(GatewayHarness.Json(call.Value.Response));
        }

        foreach (var request in requests)
        {
            AssertWithinDeadline(request.Elapsed);
            AssertUnavailableReply(request.Value);
        }

        Assert.Contains(gw.Logs.Entries, e => e.EventId.Id == 402 && e.Level == Microsoft.Extensions.Logging.LogLevel.Warning);
        Assert.DoesNotContain(gw.Logs.Entries, e => e.EventId.Id == 402 && e.Exception is not null);

        // Storage is back: the same connection answers, new handshakes work, and each approval, retried, counts once.
        Assert.True((await gw.CallAsync(op.ConnectionId, GatewayMethods.Status)).Response.Ok);
        var handshake = await gw.ConnectAsync(operatorKey, Read);
        Assert.True(handshake.Response.Ok, GatewayHarness.Describe(handshake.Response));
        var approved = await gw.CallAsync(approver.ConnectionId, GatewayMethods.DevicePairApprove, new { requestId = viaMethod });
        Assert.True(approved.Response.Ok, GatewayHarness.Describe(approved.Response));
        var adminApproved = await admin.ApproveAsync(viaAdmin, CancellationToken.None);
        Assert.Equal(200, adminApproved.Status);
        Assert.False((await gw.CallAsync(approver.ConnectionId, GatewayMethods.DevicePairApprove, new { requestId = viaMethod })).Response.Ok);
        Assert.Contains((await admin.ApproveAsync(viaAdmin, CancellationToken.None)).Status, new[] { 404, 409 });
        foreach (var (key, requestId) in new[] { (viaMethodKey, viaMethod), (viaAdminKey, viaAdmin) })
        {
            Assert.Single(await gw.AuditForAsync(key.DeviceId), a => a.Action == AuditActions.Approved && a.RequestId == requestId);
            var admitted = await gw.ConnectAsync(key, Read);
            Assert.True(admitted.Response.Ok, GatewayHarness.Describe(admitted.Response));
        }

        // Nothing written before the stall is lost: both devices paired before it are still paired with their scopes.
        var listed = JsonDocument.Parse((await admin.ListAsync(new Microsoft.AspNetCore.Http.DefaultHttpContext().Request, CancellationToken.None)).Body).RootElement;
        var paired = listed.GetProperty("paired").EnumerateArray().Select(d => d.GetProperty("deviceId").GetString()).ToList();
        Assert.Contains(approverKey.DeviceId, paired);
        Assert.Contains(operatorKey.DeviceId, paired);
        Assert.DoesNotContain(listed.GetProperty("pending").EnumerateArray(),
            p => p.GetProperty("requestId").GetString() is { } id && (id == viaMethod || id == viaAdmin));
        Assert.True((await gw.ConnectAsync(approverKey, [OperatorScopes.Pairing, OperatorScopes.Read])).Response.Ok);
    }

    [Fact]
    public async Task An_approval_whose_commit_stalls_answers_unavailable_and_takes_effect_exactly_once_after_storage_resumes()
    {
        await using var storage = await PrivateAzurite.StartAsync();
        var requests = new StorageRequestCounter();
        await using var gw = await StartGatewayAsync(storage, requests);
        using var approverKey = DeviceKey.Generate();
        using var key = DeviceKey.Generate();
        var approver = await gw.PairAsync(approverKey, [OperatorScopes.Pairing, OperatorScopes.Read]);
        var requestId = (await gw.ConnectAsync(key, Read)).RequestId;

        // Storage freezes just as the approval's atomic commit (a table batch) is sent: it reaches the frozen account.
        requests.InterceptOnce((method, path) => method == "POST" && path.Contains("$batch", StringComparison.Ordinal), () =>
        {
            storage.Pause();
            return Task.CompletedTask;
        });
        Timed<DispatchResult> stalled;
        try
        {
            stalled = await Time(() => gw.CallAsync(approver.ConnectionId, GatewayMethods.DevicePairApprove, new { requestId })).WaitAsync(Hung);
        }
        finally
        {
            storage.Resume();
        }

        AssertWithinDeadline(stalled.Elapsed);
        AssertStorageUnavailable(GatewayHarness.Json(stalled.Value.Response));

        // The commit reached the frozen account and lands once it resumes, yet nothing after it ran for this caller.
        await Eventually.HoldsAsync(async () => await gw.Devices.GetDeviceAsync(key.DeviceId, CancellationToken.None) is not null, Hung, "the stalled commit never landed");

        // A retry finishes the decision's follow-ups and answers that it is resolved (409), naming the decision.
        var retried = await gw.CallAsync(approver.ConnectionId, GatewayMethods.DevicePairApprove, new { requestId });
        AssertResolved(retried, requestId, key.DeviceId);
        AssertResolved(await gw.CallAsync(approver.ConnectionId, GatewayMethods.DevicePairApprove, new { requestId }), requestId, key.DeviceId);
        var device = await gw.Devices.GetDeviceAsync(key.DeviceId, CancellationToken.None);
        Assert.NotNull(device);
        Assert.Equal(OperatorScopes.Read, device.Scopes);
        var listed = JsonDocument.Parse((await gw.Get<AdminPairingApi>().ListAsync(new Microsoft.AspNetCore.Http.DefaultHttpContext().Request, CancellationToken.None)).Body).RootElement;
        Assert.DoesNotContain(listed.GetProperty("pending").EnumerateArray(), p => p.GetProperty("requestId").GetString() == requestId);
        Assert.Contains(listed.GetProperty("paired").EnumerateArray(), d => d.GetProperty("deviceId").GetString() == key.DeviceId);

        // A sweep after the retry finds nothing left to do: one audit row, one announcement, no decision record.
        gw.Time.Advance(TimeSpan.FromMinutes(2));
        var step = Assert.Single(gw.Get<IEnumerable<ISweepStep>>(), s => s.Name == "pairing");
        await step.RunAsync(gw.Time.GetUtcNow(), 100, CancellationToken.None);
        Assert.Single(await gw.AuditForAsync(key.DeviceId), a => a.Action == AuditActions.Approved && a.RequestId == requestId);
        Assert.Single(gw.Notifier.Events, e => e.Payload is PairResolvedEvent { Decision: "approved" } r && r.RequestId == requestId);
        Assert.DoesNotContain(await gw.DeviceRowsAsync(key.DeviceId), r => r.RowKey.StartsWith(DeviceRows.DecisionPrefix, StringComparison.Ordinal));
        var tokens = (await gw.DeviceRowsAsync(key.DeviceId)).Where(r => r.RowKey.StartsWith(DeviceRows.TokenPrefix, StringComparison.Ordinal));
        Assert.Single(tokens);
        var admitted = await gw.ConnectAsync(key, Read);
        Assert.True(admitted.Response.Ok, GatewayHarness.Describe(admitted.Response));
        Assert.NotNull(admitted.DeviceToken);
    }

    [Fact]
    public async Task Storage_that_refuses_connections_answers_unavailable_and_a_503_with_a_json_body()
    {
        // A storage account that is down rather than frozen: nothing listens on its ports.
        var down = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Convert.ToBase64String(new byte[64])};"
            + $"TableEndpoint=http://127.0.0.1:{LocalHostFixture.FreePort()}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{LocalHostFixture.FreePort()}/devstoreaccount1;";
        await using var gw = new GatewayHarness(services => WithStorageOf(services), Settings(down));

        using var key = DeviceKey.Generate();
        var (connectionId, connect) = await ChallengedConnectAsync(gw, key);
        var call = await Time(() => gw.CallAsync(connectionId, GatewayMethods.Connect, connect)).WaitAsync(Hung);
        var list = await Time(() => gw.Get<AdminPairingApi>().ListAsync(new Microsoft.AspNetCore.Http.DefaultHttpContext().Request, CancellationToken.None)).WaitAsync(Hung);

        AssertWithinDeadline(call.Elapsed);
        AssertStorageUnavailable(GatewayHarness.Json(call.Value.Response));
        AssertWithinDeadline(list.Elapsed);
        AssertUnavailableReply(list.Value);
    }

    [Fact]
    public async Task The_callers_own_cancellation_is_not_answered_as_a_storage_stall()
    {
        await using var storage = await PrivateAzurite.StartAsync();
        await using var gw = await StartGatewayAsync(storage);
        using var gone = new CancellationTokenSource();
        using var key = DeviceKey.Generate();
        var (connectionId, connect) = await ChallengedConnectAsync(gw, key);

        storage.Pause();
        try
        {
            var call = gw.Dispatcher.DispatchAsync(new CallContext(connectionId, CallOrigin.Network),
                new GatewayRequest(GatewayMethods.Connect, GatewayHarness.Json(connect)), gone.Token);
            gone.CancelAfter(TimeSpan.FromMilliseconds(200));

            // The client went away: no answer is owed, and none is invented.
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(Hung));
        }
        finally
        {
            storage.Resume();
        }

        Assert.DoesNotContain(gw.Logs.Entries, e => e.EventId.Id == 402);
    }

    /// <summary>A fresh connection's signed connect, ready to send: its challenge touches no storage, the connect does.</summary>
    private static async Task<(string ConnectionId, ConnectParams Connect)> ChallengedConnectAsync(GatewayHarness gw, DeviceKey key)
    {
        var connectionId = GatewayHarness.NewConnectionId();
        var nonce = await gw.ChallengeAsync(connectionId);
        return (connectionId, ConnectRequest.Build(key, GatewayHarness.Client(), GatewayRoles.Operator, Read, nonce,
            new ConnectAuth { Token = GatewayHarness.SharedToken }, gw.Time.GetUtcNow()));
    }

    /// <summary>The gateway on the private Azurite, with the short deadline and the admin routes the hosts serve.</summary>
    private static async Task<GatewayHarness> StartGatewayAsync(PrivateAzurite storage, StorageRequestCounter? requests = null)
    {
        var gw = await GatewayHarness.StartAsync(services => WithStorageOf(services, requests), Settings(storage.ConnectionString));
        await gw.Get<GatewayQueues>().EnsureCreatedAsync();
        return gw;
    }

    private static Dictionary<string, string?> Settings(string connectionString) => new()
    {
        ["AzureWebJobsStorage"] = connectionString,
        ["Gateway:Storage:Deadline"] = Deadline.ToString("c"),
    };

    /// <summary>The harness keeps its tables on the shared Azurite; these tests want the configured account, as the hosts build it.</summary>
    private static void WithStorageOf(IServiceCollection services, StorageRequestCounter? requests = null)
    {
        services.AddSingleton(sp =>
        {
            var options = StorageFaultPolicy.Apply(new TableClientOptions(), Deadline);
            if (requests is not null)
            {
                options.AddPolicy(requests, HttpPipelinePosition.PerRetry);
            }

            return new GatewayTables(new TableServiceClient(sp.GetRequiredService<StorageOptions>().ConnectionString, options));
        });
        services.AddSingleton<AdminPairingEndpoint>();
        services.AddSingleton<StorageCallGuard>();
        services.AddSingleton<AdminPairingApi>();
    }

    private static void AssertWithinDeadline(TimeSpan elapsed)
        => Assert.True(elapsed < Deadline + Margin, $"answered after {elapsed.TotalSeconds:0.0} s; the deadline is {Deadline.TotalSeconds} s");

    private static void AssertStorageUnavailable(JsonElement response)
    {
        Assert.False(response.GetProperty("ok").GetBoolean());
        var error = response.GetProperty("error");
        Assert.Equal(ErrorCodes.Unavailable, error.GetProperty("code").GetString());
        Assert.Equal(DetailCodes.StorageUnavailable, error.GetProperty("details").GetProperty("code").GetString());
        Assert.Equal((long)Deadline.TotalMilliseconds, error.GetProperty("details").GetProperty("retryAfterMs").GetInt64());
    }

    private static void AssertUnavailableReply(HttpReply reply)
    {
        Assert.Equal(503, reply.Status);
        Assert.StartsWith("application/json", reply.ContentType, StringComparison.Ordinal);
        Assert.Equal(Deadline, reply.RetryAfter);
        var body = JsonDocument.Parse(reply.Body).RootElement;
        var error = body.GetProperty("error");
        Assert.Equal(ErrorCodes.Unavailable, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal(DetailCodes.StorageUnavailable, error.GetProperty("details").GetProperty("code").GetString());
        Assert.Equal((long)Deadline.TotalMilliseconds, error.GetProperty("details").GetProperty("retryAfterMs").GetInt64());
    }

    /// <summary>A retried decision on a request already decided: 409 <c>PAIRING_REQUEST_RESOLVED</c>, naming the approval.</summary>
    private static void AssertResolved(DispatchResult result, string requestId, string deviceId)
    {
        var response = GatewayHarness.Json(result.Response);
        Assert.False(response.GetProperty("ok").GetBoolean(), GatewayHarness.Describe(result.Response));
        var details = response.GetProperty("error").GetProperty("details");
        Assert.Equal(DetailCodes.RequestResolved, details.GetProperty("code").GetString());
        Assert.Equal(requestId, details.GetProperty("requestId").GetString());
        Assert.Equal(deviceId, details.GetProperty("deviceId").GetString());
        Assert.Equal("approved", details.GetProperty("decision").GetString());
    }

    private static async Task<Timed<T>> Time<T>(Func<Task<T>> call)
    {
        var clock = Stopwatch.StartNew();
        var value = await Task.Run(call);
        return new Timed<T>(value, clock.Elapsed);
    }

    private sealed record Timed<T>(T Value, TimeSpan Elapsed);
}
