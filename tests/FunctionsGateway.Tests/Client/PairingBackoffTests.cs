using FunctionsGateway.Client;

namespace FunctionsGateway.Tests.Client;

/// <summary>While a human has not approved yet, the client polls on a growing interval: bounded, never a reconnect storm.</summary>
public sealed class PairingBackoffTests
{
    [Fact]
    public async Task Five_minutes_of_pending_approval_cost_fourteen_connects_not_one_every_two_seconds()
    {
        var clock = new SkippingClock();
        var attempts = 0;

        await Assert.ThrowsAsync<TimeoutException>(() => PairingPoller.RunAsync<int>(_ =>
        {
            attempts++;
            throw Pending("r1");
        }, new PairingBackoff(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30)), TimeSpan.FromMinutes(5), null, clock, CancellationToken.None));

        Assert.Equal([2, 4, 8, 16, 30, 30, 30, 30, 30, 30, 30, 30, 30], clock.Waits.Select(w => w.TotalSeconds));
        Assert.Equal(14, attempts);
    }

    [Fact]
    public async Task An_approval_ends_the_wait_at_the_next_poll()
    {
        var clock = new SkippingClock();
        var answers = new Queue<Func<string>>([() => throw Pending("r1"), () => throw Pending("r1"), () => throw Pending("r1"), () => "hello"]);

        var result = await PairingPoller.RunAsync(_ => Task.FromResult(answers.Dequeue()()),
            new PairingBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)), TimeSpan.FromMinutes(5), null, clock, CancellationToken.None);

        Assert.Equal("hello", result);
        Assert.Equal([1, 2, 4], clock.Waits.Select(w => w.TotalSeconds));
    }

    [Theory]
    [InlineData(0, 0, 5, 0)]
    [InlineData(2, 30, 1, 2)]
    [InlineData(2, 30, 4, 16)]
    [InlineData(2, 30, 5, 30)]
    [InlineData(2, 30, 1000, 30)]
    [InlineData(10, 5, 3, 10)]
    public void The_wait_doubles_from_the_first_up_to_the_cap(double first, double max, int pending, double expected)
        => Assert.Equal(TimeSpan.FromSeconds(expected), new PairingBackoff(TimeSpan.FromSeconds(first), TimeSpan.FromSeconds(max)).After(pending));

    [Fact]
    public void A_cap_near_the_largest_time_span_does_not_overflow()
        => Assert.Equal(TimeSpan.MaxValue, new PairingBackoff(TimeSpan.FromDays(1), TimeSpan.MaxValue).After(int.MaxValue));

    private static PairingRequiredException Pending(string requestId)
        => Assert.IsType<PairingRequiredException>(GatewayException.FromError(JsonAssert.Parse($$$"""
            {"code": "NOT_PAIRED", "message": "pairing required", "details": {"code": "PAIRING_REQUIRED", "requestId": "{{{requestId}}}", "reason": "not-paired"}}
            """)));

    /// <summary>A clock that never waits: each timer fires at once and moves the clock on by its due time, which is recorded.</summary>
    private sealed class SkippingClock : TimeProvider
    {
        private long ticks;

        public List<TimeSpan> Waits { get; } = [];

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref ticks);

        public override DateTimeOffset GetUtcNow() => DateTimeOffset.UnixEpoch.AddTicks(Interlocked.Read(ref ticks));

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            lock (Waits)
            {
                Waits.Add(dueTime);
            }

            Interlocked.Add(ref ticks, dueTime.Ticks);
            ThreadPool.QueueUserWorkItem(_ => callback(state));
            return new Fired();
        }

        private sealed class Fired : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => false;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
