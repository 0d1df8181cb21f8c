namespace FunctionsGateway.IntegrationTests.Infrastructure;

/// <summary>
/// Waits for a state the test cannot be told about (a table row, a log line, the service's view of a connection):
/// checks it, and between checks yields briefly, failing with <c>failure</c> once <c>patience</c> has passed. The short
/// pause is a polling interval of a bounded wait, never a fixed sleep standing in for synchronization.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan patience, string failure)
    {
        var deadline = DateTime.UtcNow + patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(Interval);
        }
    }

    public static Task HoldsAsync(Func<bool> condition, TimeSpan patience, string failure)
        => HoldsAsync(() => Task.FromResult(condition()), patience, failure);
}
