using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using FunctionsGateway.Core.Resilience;

namespace FunctionsGateway.Storage;

/// <summary>
/// Bounds every table and queue request and says when storage failed for the moment. Each try gets a network timeout
/// of the storage deadline and a few quick retries; what still fails after them (a timeout, a refused or reset
/// connection, a 408, 429 or 5xx answer) leaves the SDK as <see cref="StorageUnavailableException"/>, which the core
/// answers with <c>UNAVAILABLE</c> and a retry hint. A cancellation by the caller's own token passes through as it is.
/// </summary>
internal sealed class StorageFaultPolicy : HttpPipelinePolicy
{
    /// <summary>Retries after the first try: quick ones, since a caller waits behind them within one deadline.</summary>
    public const int MaxRetries = 2;

    public static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(200);

    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(1);

    public static readonly StorageFaultPolicy Instance = new();

    /// <summary>A network timeout per try and a bounded retry, then this policy outside the retries (per call).</summary>
    public static T Apply<T>(T options, TimeSpan deadline) where T : ClientOptions
    {
        options.Retry.NetworkTimeout = deadline;
        options.Retry.MaxRetries = MaxRetries;
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.Delay = RetryDelay;
        options.Retry.MaxDelay = MaxRetryDelay;
        options.AddPolicy(Instance, HttpPipelinePosition.PerCall);
        return options;
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        try
        {
            ProcessNext(message, pipeline);
        }
        catch (Exception ex) when (IsTransient(ex) && !message.CancellationToken.IsCancellationRequested)
        {
            throw Unavailable(message, ex);
        }

        ThrowIfUnavailable(message);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        try
        {
            await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsTransient(ex) && !message.CancellationToken.IsCancellationRequested)
        {
            throw Unavailable(message, ex);
        }

        ThrowIfUnavailable(message);
    }

    /// <summary>A status that says "not now" rather than "not so" (timeout, throttling, server busy or failing).</summary>
    public static bool IsUnavailableStatus(int status) => status is 408 or 429 or 500 or 502 or 503 or 504;

    /// <summary>
    /// A try that timed out (the network timeout surfaces as a cancellation while the caller's token is still live), a
    /// connection refused or reset, or several of those collected by the retries.
    /// </summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsTransient),
        RequestFailedException failed => failed.Status == 0 || IsUnavailableStatus(failed.Status),
        OperationCanceledException or TimeoutException or IOException or HttpRequestException => true,
        _ => false,
    };

    private static void ThrowIfUnavailable(HttpMessage message)
    {
        if (message.HasResponse && IsUnavailableStatus(message.Response.Status))
        {
            throw new StorageUnavailableException(
                $"storage answered {message.Response.Status} to {message.Request.Method} {message.Request.Uri.Host}:{message.Request.Uri.Port} after {MaxRetries} retries");
        }
    }

    private static StorageUnavailableException Unavailable(HttpMessage message, Exception ex)
        => new($"storage did not answer {message.Request.Method} {message.Request.Uri.Host}:{message.Request.Uri.Port} ({Describe(ex)})", ex);

    private static string Describe(Exception ex) => ex is AggregateException aggregate && aggregate.InnerExceptions.Count > 0
        ? $"{aggregate.InnerExceptions.Count} tries, last: {aggregate.InnerExceptions[^1].GetType().Name}"
        : ex.GetType().Name;
}
