using System.Net;
using Azure;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using FunctionsGateway.Core.Resilience;
using FunctionsGateway.Storage;

namespace FunctionsGateway.Tests.Storage;

/// <summary>
/// How the storage clients report a fault of the moment, over a stand-in HTTP transport: a stall or a 5xx becomes
/// <see cref="StorageUnavailableException"/> within a bounded time, while an answer about the request itself (404)
/// and the caller's own cancellation pass through unchanged.
/// </summary>
public sealed class StorageFaultPolicyTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_request_storage_never_answers_fails_as_unavailable_after_its_tries_time_out()
    {
        var storage = new StandInStorage(_ => null);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<StorageUnavailableException>(() => storage.Table.GetEntityIfExistsAsync<TableEntity>("p", "r"));

        // Each try is cut at the deadline: three tries and two short pauses, never the SDK's default of 100 s a try.
        Assert.Equal(StorageFaultPolicy.MaxRetries + 1, storage.Requests);
        Assert.InRange(clock.Elapsed, Deadline * 3, Deadline * 3 + TimeSpan.FromSeconds(10));
        Assert.Contains("did not answer", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.RequestTimeout)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    public async Task A_service_that_keeps_answering_it_cannot_serve_fails_as_unavailable(HttpStatusCode status)
    {
        var storage = new StandInStorage(_ => new HttpResponseMessage(status));

        await Assert.ThrowsAsync<StorageUnavailableException>(() => storage.Table.GetEntityIfExistsAsync<TableEntity>("p", "r"));

        Assert.Equal(StorageFaultPolicy.MaxRetries + 1, storage.Requests);
    }

    [Fact]
    public async Task An_answer_about_the_request_itself_is_not_an_outage()
    {
        var storage = new StandInStorage(_ => new HttpResponseMessage(HttpStatusCode.Conflict));

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => storage.Table.AddEntityAsync(new TableEntity("p", "r")));

        Assert.Equal(409, ex.Status);
        Assert.Equal(1, storage.Requests);
    }

    [Fact]
    public async Task The_callers_own_cancellation_passes_through_as_a_cancellation()
    {
        var storage = new StandInStorage(_ => null);
        using var caller = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => storage.Table.GetEntityIfExistsAsync<TableEntity>("p", "r", cancellationToken: caller.Token));

        Assert.IsNotType<StorageUnavailableException>(ex);
        Assert.Equal(1, storage.Requests);
    }

    /// <summary>A table client whose HTTP requests are answered by <paramref name="answer"/>; null never answers.</summary>
    private sealed class StandInStorage(Func<HttpRequestMessage, HttpResponseMessage?> answer) : HttpMessageHandler
    {
        private int requests;

        public int Requests => Volatile.Read(ref requests);

        public TableClient Table => new(
            new Uri("http://127.0.0.1:1/devstoreaccount1"),
            "t",
            new TableSharedKeyCredential("devstoreaccount1", Convert.ToBase64String(new byte[64])),
            StorageFaultPolicy.Apply(new TableClientOptions { Transport = new HttpClientTransport(new HttpClient(this)) }, Deadline));

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref requests);
            if (answer(request) is { } response)
            {
                return response;
            }

            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new InvalidOperationException("unreachable");
        }
    }
}
