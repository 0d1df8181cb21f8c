using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace FunctionsGateway.IntegrationTests.Infrastructure;

/// <summary>Records every Table Storage request the gateway makes, so cost per call can be asserted, not guessed.</summary>
public sealed class StorageRequestCounter : HttpPipelinePolicy
{
    public ConcurrentQueue<(string Method, string Path)> Requests { get; } = new();

    private Func<string, string, bool>? interceptWhen;
    private Func<Task>? intercept;

    public void Clear() => Requests.Clear();

    /// <summary>
    /// Runs <paramref name="action"/> once, just before the first request matching <paramref name="when"/> (method, path)
    /// is sent: a deterministic way to land a competing operation inside another one's read-then-write window.
    /// </summary>
    public void InterceptOnce(Func<string, string, bool> when, Func<Task> action)
    {
        intercept = action;
        interceptWhen = when;
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Record(message);
        ProcessNext(message, pipeline);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var (method, path) = Record(message);
        if (interceptWhen is { } when && when(method, path) && Interlocked.Exchange(ref intercept, null) is { } action)
        {
            interceptWhen = null;
            await action();
        }

        await ProcessNextAsync(message, pipeline);
    }

    private (string Method, string Path) Record(HttpMessage message)
    {
        var entry = (message.Request.Method.ToString(), Uri.UnescapeDataString(message.Request.Uri.ToUri().PathAndQuery));
        Requests.Enqueue(entry);
        return entry;
    }
}
