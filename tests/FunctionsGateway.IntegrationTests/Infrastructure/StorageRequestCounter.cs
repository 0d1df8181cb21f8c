using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace FunctionsGateway.IntegrationTests.Infrastructure;

/// <summary>Records every Table Storage request the gateway makes, so cost per call can be asserted, not guessed.</summary>
public sealed class StorageRequestCounter : HttpPipelinePolicy
{
    public ConcurrentQueue<(string Method, string Path)> Requests { get; } = new();

    public void Clear() => Requests.Clear();

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Record(message);
        ProcessNext(message, pipeline);
    }

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Record(message);
        return ProcessNextAsync(message, pipeline);
    }

    private void Record(HttpMessage message)
        => Requests.Enqueue((message.Request.Method.ToString(), Uri.UnescapeDataString(message.Request.Uri.ToUri().PathAndQuery)));
}
