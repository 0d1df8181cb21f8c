using System.Text.Json;
using Azure.Data.Tables;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Core.Runs;
using FunctionsGateway.Core.Sessions;
using FunctionsGateway.Core.SubAgents;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FunctionsGateway.IntegrationTests.Storage;

/// <summary>The spawn queue and the run timers on Azurite: what goes on the queue, when it shows, and how it is read back.</summary>
public sealed class QueueAdapterTests
{
    [Fact]
    public async Task A_timer_with_a_delay_is_invisible_until_then_and_one_without_is_visible_at_once()
    {
        await using var queue = await PrivateQueue.CreateAsync();
        var timers = new RunTimerQueue(queue.Queues, queue.Name);
        var later = new RunTimer(StorageAccount.NewRunId(), RunTimerKind.Deadline, 0);
        var now = new RunTimer(StorageAccount.NewRunId(), RunTimerKind.Offer, 3);

        await timers.ScheduleAsync(later, TimeSpan.FromHours(1), default);
        Assert.Empty(await queue.Queues.PeekAsync(queue.Name, 32, default));

        await timers.ScheduleAsync(now, TimeSpan.Zero, default);
        var visible = Assert.Single(await queue.Queues.PeekAsync(queue.Name, 32, default));
        Assert.Equal(now, RunTimerQueue.Parse(visible));
        Assert.Equal(2, await queue.Queues.CountAsync(queue.Name, default)); // the delayed one is there, only hidden
    }

    [Fact]
    public async Task Delays_outside_what_the_queue_service_accepts_are_clamped_and_sent()
    {
        await using var queue = await PrivateQueue.CreateAsync();
        var timers = new RunTimerQueue(queue.Queues, queue.Name);

        await timers.ScheduleAsync(new RunTimer(StorageAccount.NewRunId(), RunTimerKind.Deadline), TimeSpan.FromDays(30), default);
        Assert.Empty(await queue.Queues.PeekAsync(queue.Name, 32, default));

        var overdue = new RunTimer(StorageAccount.NewRunId(), RunTimerKind.Finished);
        await timers.ScheduleAsync(overdue, TimeSpan.FromSeconds(-5), default);
        Assert.Equal(overdue, RunTimerQueue.Parse(Assert.Single(await queue.Queues.PeekAsync(queue.Name, 32, default))));

        Assert.Equal(TimeSpan.Zero, RunTimerQueue.Clamp(TimeSpan.FromTicks(-1)));
        Assert.Equal(RunTimerQueue.MaxDelay, RunTimerQueue.Clamp(TimeSpan.FromDays(7)));
        Assert.True(RunTimerQueue.MaxDelay < TimeSpan.FromDays(7));
    }

    [Fact]
    public async Task A_spawn_request_round_trips_through_its_queue_as_readable_json()
    {
        await using var queue = await PrivateQueue.CreateAsync();
        var spawns = new SpawnQueue(queue.Queues, queue.Name);
        var request = new SpawnRequest(
            StorageAccount.NewRunId(), "agent:main:main", "agent:main:subagent:" + Guid.NewGuid().ToString("N"), "main",
            "résumé <b>&</b> \"quoted\"\nnext line ✓", "label", null, 120, "keep", 1, "device-1");

        await spawns.EnqueueAsync(request, default);

        var body = Assert.Single(await queue.Queues.PeekAsync(queue.Name, 32, default));
        Assert.Equal(request, SpawnQueue.Parse(body));
        Assert.Contains("résumé <b>&</b>", body, StringComparison.Ordinal); // not \u-escaped: a 16 KB task stays within a message
        Assert.DoesNotContain("\"model\"", body, StringComparison.Ordinal); // nulls are left out
        using var json = JsonDocument.Parse(body);
        Assert.Equal(request.ChildSessionKey, json.RootElement.GetProperty("childSessionKey").GetString());
    }

    [Fact]
    public void A_timer_message_names_its_kind_in_words()
    {
        var body = RunTimerQueue.Serialize(new RunTimer("abc", RunTimerKind.Finished, 2));

        Assert.Equal("""{"runId":"abc","kind":"finished","attempt":2}""", body);
        Assert.Equal(new RunTimer("abc", RunTimerKind.Offer), RunTimerQueue.Parse("""{"runId":"abc","kind":"offer"}"""));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("not json")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("""{"kind":"offer"}""")]
    [InlineData("""{"runId":"","kind":"offer"}""")]
    [InlineData("""{"runId":"r"}""")]
    [InlineData("""{"runId":"r","kind":"later"}""")]
    [InlineData("""{"runId":"r","kind":0}""")]
    [InlineData("""{"runId":"r","kind":"offer","attempt":-1}""")]
    [InlineData("""{"runId":"r","kind":"offer","attempt":"1"}""")]
    [InlineData("""{"runId":"r","runId":"s","kind":"offer"}""")]
    [InlineData("{\"runId\":\"r\",\"kind\":\"offer\"")]
    public void A_malformed_timer_message_is_a_format_error(string message)
    {
        var error = Assert.Throws<FormatException>(() => RunTimerQueue.Parse(message));
        Assert.StartsWith("run timer message ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("null")]
    [InlineData("{}")]
    [InlineData("\"text\"")]
    [InlineData("""{"runId":"r","requesterSessionKey":"agent:main:main","childSessionKey":"c","agentId":"main","cleanup":"keep","depth":1,"requestedBy":"d"}""")]
    [InlineData("""{"runId":"r","requesterSessionKey":"agent:main:main","childSessionKey":"c","agentId":"main","task":"t","cleanup":"keep","depth":"1","requestedBy":"d"}""")]
    [InlineData("""{"runId":"r","requesterSessionKey":"agent:main:main","childSessionKey":"c","agentId":"main","task":"t","cleanup":"keep","depth":1}""")]
    public void A_malformed_spawn_message_is_a_format_error(string message)
    {
        var error = Assert.Throws<FormatException>(() => SpawnQueue.Parse(message));
        Assert.StartsWith("spawn message ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Add_gateway_storage_registers_the_stores_and_queues_and_creates_their_tables_and_queues()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [SettingNames.Storage] = Azurite.ConnectionString })
            .Build();
        await using var provider = new ServiceCollection().AddGatewayStorage(configuration).BuildServiceProvider();

        Assert.IsType<TableSessionStore>(provider.GetRequiredService<ISessionStore>());
        Assert.IsType<TableRunStore>(provider.GetRequiredService<IRunStore>());
        Assert.IsType<SpawnQueue>(provider.GetRequiredService<ISpawnQueue>());
        Assert.IsType<RunTimerQueue>(provider.GetRequiredService<IRunTimers>());

        foreach (var service in provider.GetServices<IHostedService>())
        {
            await service.StartAsync(default);
        }

        var queues = StorageAccount.QueueService();
        foreach (var name in new[] { StorageNames.RunsQueue, StorageNames.RunsQueue + GatewayQueues.PoisonSuffix, StorageNames.SpawnQueue })
        {
            Assert.True((await queues.GetQueueClient(name).ExistsAsync()).Value, name);
        }

        var tables = new TableServiceClient(Azurite.ConnectionString);
        foreach (var name in new[] { StorageNames.SessionsTable, StorageNames.RunsTable })
        {
            Assert.Single(tables.Query(filter: $"TableName eq '{name}'"));
        }
    }
}
