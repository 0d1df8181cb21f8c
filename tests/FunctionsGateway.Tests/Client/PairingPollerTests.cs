using System.Text.Json;
using FunctionsGateway.Client;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Tests.Client;

public sealed class PairingPollerTests
{
    private static readonly PairingBackoff NoWait = new(TimeSpan.Zero, TimeSpan.Zero);

    [Fact]
    public async Task It_reports_each_pending_answer_and_returns_once_approved()
    {
        var answers = new Queue<Func<string>>([() => throw Pending("r1"), () => throw Pending("r1"), () => "hello"]);
        var reported = new List<string>();

        var result = await PairingPoller.RunAsync(_ => Task.FromResult(answers.Dequeue()()), NoWait, TimeSpan.FromMinutes(5),
            new ProgressSink<PairingRequiredException>(e => reported.Add(e.RequestId)), TimeProvider.System, CancellationToken.None);

        Assert.Equal("hello", result);
        Assert.Equal(["r1", "r1"], reported);
    }

    [Fact]
    public async Task An_already_paired_device_connects_on_the_first_attempt_without_reports()
    {
        var reported = 0;
        var result = await PairingPoller.RunAsync(_ => Task.FromResult(1), NoWait, TimeSpan.Zero,
            new ProgressSink<PairingRequiredException>(_ => reported++), TimeProvider.System, CancellationToken.None);

        Assert.Equal(1, result);
        Assert.Equal(0, reported);
    }

    [Fact]
    public async Task A_different_request_id_twice_means_the_awaited_request_was_not_approved()
    {
        var answers = new Queue<Func<int>>([() => throw Pending("r1"), () => throw Pending("r2"), () => throw Pending("r2")]);

        var error = await Assert.ThrowsAsync<PairingNotApprovedException>(() =>
            PairingPoller.RunAsync(_ => Task.FromResult(answers.Dequeue()()), NoWait, TimeSpan.FromMinutes(5), null, TimeProvider.System, CancellationToken.None));

        Assert.Equal("r1", error.RequestId);
        Assert.Equal("r2", error.NextRequestId);
        Assert.Contains("r2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_single_different_request_id_is_retried_since_a_connect_can_race_the_approval()
    {
        var answers = new Queue<Func<int>>([() => throw Pending("r1"), () => throw Pending("r2"), () => 9]);
        var reported = new List<string>();

        var result = await PairingPoller.RunAsync(_ => Task.FromResult(answers.Dequeue()()), NoWait, TimeSpan.FromMinutes(5),
            new ProgressSink<PairingRequiredException>(e => reported.Add(e.RequestId)), TimeProvider.System, CancellationToken.None);

        Assert.Equal(9, result);
        Assert.Equal(["r1"], reported);
    }

    [Fact]
    public async Task It_times_out_with_the_last_pending_answer_inside()
    {
        var error = await Assert.ThrowsAsync<TimeoutException>(() =>
            PairingPoller.RunAsync<int>(_ => throw Pending("r1"), NoWait, TimeSpan.Zero, null, TimeProvider.System, CancellationToken.None));

        Assert.Contains("r1", error.Message, StringComparison.Ordinal);
        Assert.Equal("r1", Assert.IsType<PairingRequiredException>(error.InnerException).RequestId);
    }

    [Fact]
    public async Task A_dropped_connection_while_a_request_is_pending_is_polled_again()
    {
        var answers = new Queue<Func<int>>([
            () => throw Pending("r1"),
            () => throw new GatewayException(ErrorCodes.Unavailable, "could not connect", Detail(ClientDetailCodes.ConnectFailed)),
            () => 5,
        ]);

        Assert.Equal(5, await PairingPoller.RunAsync(_ => Task.FromResult(answers.Dequeue()()), NoWait, TimeSpan.FromMinutes(5), null,
            TimeProvider.System, CancellationToken.None));
    }

    [Fact]
    public async Task Other_errors_end_the_wait_at_once()
    {
        var answers = new Queue<Func<int>>([
            () => throw Pending("r1"),
            () => throw new GatewayException(ErrorCodes.InvalidRequest, "bad signature", Detail(DetailCodes.SignatureInvalid)),
        ]);

        var error = await Assert.ThrowsAsync<GatewayException>(() => PairingPoller.RunAsync(_ => Task.FromResult(answers.Dequeue()()),
            NoWait, TimeSpan.FromMinutes(5), null, TimeProvider.System, CancellationToken.None));
        Assert.Equal(DetailCodes.SignatureInvalid, error.DetailCode);
    }

    [Fact]
    public async Task Cancellation_stops_the_wait()
    {
        using var cancel = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => PairingPoller.RunAsync<int>(_ =>
        {
            cancel.Cancel();
            throw Pending("r1");
        }, new PairingBackoff(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1)), TimeSpan.FromMinutes(5), null, TimeProvider.System, cancel.Token));
    }

    private static PairingRequiredException Pending(string requestId)
        => Assert.IsType<PairingRequiredException>(GatewayException.FromError(JsonAssert.Parse($$$"""
            {"code": "NOT_PAIRED", "message": "pairing required", "details": {"code": "PAIRING_REQUIRED", "requestId": "{{{requestId}}}", "reason": "not-paired"}}
            """)));

    private static JsonElement Detail(string code) => JsonAssert.Parse($$"""{"code": "{{code}}"}""");
}
