using Azure.Core;
using Azure.Storage.Queues;
using FunctionsGateway.Core.Resilience;
using FunctionsGateway.Hosting;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.IntegrationTests.Storage;
using FunctionsGateway.LocalHost;
using FunctionsGateway.Storage;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.IntegrationTests.Faults;

/// <summary>The local host's queue pump under a storage stall: a retry, never a poisoning, an outage said once.</summary>
public sealed class QueuePumpStallTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_handler_that_meets_a_storage_stall_is_retried_and_never_poisoned_even_past_the_last_attempt()
    {
        await using var queue = await PrivateQueue.CreateAsync();
        var poison = StorageAccount.QueueService().GetQueueClient(queue.Name + GatewayQueues.PoisonSuffix);
        await poison.CreateIfNotExistsAsync();
        try
        {
            var handler = new StallingHandler(queue.Name, stallsUntilAttempt: QueuePump.MaxDequeueCount + 1);
            using var logs = new CapturingLoggerProvider();
            using var stop = new CancellationTokenSource();
            var pump = new QueuePump(queue.Queues, handler, TimeSpan.FromSeconds(1), Logger(logs)).RunAsync(stop.Token);

            await queue.Queues.SendAsync(queue.Name, "work", TimeSpan.Zero, CancellationToken.None);
            var handledAt = await handler.Handled.Task.WaitAsync(Patience);
            await stop.CancelAsync();
            await pump;

            // Five stalls in a row would have poisoned it; a stall is not the message's fault, so the sixth try ran.
            Assert.Equal(QueuePump.MaxDequeueCount + 1, handledAt);
            Assert.False((await poison.PeekMessagesAsync()).Value.Length > 0, "a stalled message went to the poison queue");
            var stalls = logs.Entries.Where(e => e.EventId.Id == 905).ToList();
            Assert.Equal(QueuePump.MaxDequeueCount, stalls.Count);
            Assert.All(stalls, e => Assert.Equal(LogLevel.Warning, e.Level));
            Assert.All(stalls, e => Assert.Null(e.Exception));
            logs.AssertNoUnexpectedErrors();
        }
        finally
        {
            await poison.DeleteIfExistsAsync();
        }
    }

    [Fact]
    public async Task A_pump_polling_frozen_storage_says_so_once_and_takes_work_again_when_storage_resumes()
    {
        await using var storage = await PrivateAzurite.StartAsync();
        var requests = new StorageRequestCounter();
        var deadline = TimeSpan.FromSeconds(1);
        var options = StorageFaultPolicy.Apply(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }, deadline);
        options.AddPolicy(requests, HttpPipelinePosition.PerRetry);
        var queues = new GatewayQueues(new QueueServiceClient(storage.ConnectionString, options));
        await queues.EnsureCreatedAsync();
        var handler = new StallingHandler(StorageNames.CloseQueue, stallsUntilAttempt: 0);
        using var logs = new CapturingLoggerProvider();
        using var stop = new CancellationTokenSource();
        var pump = new QueuePump(queues, handler, TimeSpan.FromSeconds(1), Logger(logs)).RunAsync(stop.Token);

        storage.Pause();
        try
        {
            await Eventually.HoldsAsync(() => logs.Entries.Any(e => e.EventId.Id == 903), Patience, "the pump never said storage is unavailable");

            // Let at least one more whole poll (all its tries) fail while storage stays frozen.
            var sent = requests.Requests.Count;
            await Eventually.HoldsAsync(() => requests.Requests.Count >= sent + StorageFaultPolicy.MaxRetries + 2, Patience, "the pump stopped polling");
        }
        finally
        {
            storage.Resume();
        }

        await Eventually.HoldsAsync(() => logs.Entries.Any(e => e.EventId.Id == 904), Patience, "the pump never saw storage answer again");
        await queues.SendAsync(StorageNames.CloseQueue, "after the stall", TimeSpan.Zero, CancellationToken.None);
        Assert.Equal(1, await handler.Handled.Task.WaitAsync(Patience));
        await stop.CancelAsync();
        await pump;

        var down = Assert.Single(logs.Entries, e => e.EventId.Id == 903);
        Assert.Equal(LogLevel.Warning, down.Level);
        Assert.Null(down.Exception);
        Assert.DoesNotContain(logs.Entries, e => e.EventId.Id == 902);
        logs.AssertNoUnexpectedErrors();
    }

    private static ILogger<QueuePump> Logger(CapturingLoggerProvider logs)
        => LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace)).CreateLogger<QueuePump>();

    /// <summary>Fails with a storage stall until the given attempt, then handles the message.</summary>
    private sealed class StallingHandler(string queueName, int stallsUntilAttempt) : IQueueHandler
    {
        public string QueueName => queueName;

        public TaskCompletionSource<long> Handled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task HandleAsync(QueueDelivery delivery, CancellationToken cancellationToken)
        {
            if (delivery.DequeueCount < stallsUntilAttempt)
            {
                throw new StorageUnavailableException("storage did not answer (test)");
            }

            Handled.TrySetResult(delivery.DequeueCount);
            return Task.CompletedTask;
        }
    }
}
