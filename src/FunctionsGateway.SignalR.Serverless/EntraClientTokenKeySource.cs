using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FunctionsGateway.SignalR.Serverless;

/// <summary>Timing of <see cref="EntraClientTokenKeySource"/>. The refresh and lifetime defaults are the service SDK's.</summary>
public sealed class EntraKeyOptions
{
    /// <summary>A key is fetched again this long after the last fetch.</summary>
    public static readonly TimeSpan DefaultRefreshInterval = TimeSpan.FromMinutes(55);

    /// <summary>A key is no longer used this long after it was fetched.</summary>
    public static readonly TimeSpan DefaultKeyLifetime = TimeSpan.FromMinutes(110);

    /// <summary>After a failed fetch, the next one waits this long.</summary>
    public static readonly TimeSpan DefaultRetryBackoff = TimeSpan.FromSeconds(5);

    /// <summary>The most a negotiate waits for a key when none is held.</summary>
    public static readonly TimeSpan DefaultFirstKeyWait = TimeSpan.FromSeconds(5);

    public TimeSpan RefreshInterval { get; set; } = DefaultRefreshInterval;
    public TimeSpan KeyLifetime { get; set; } = DefaultKeyLifetime;
    public TimeSpan RetryBackoff { get; set; } = DefaultRetryBackoff;
    public TimeSpan FirstKeyWait { get; set; } = DefaultFirstKeyWait;
}

/// <summary>
/// Client-token keys under Microsoft Entra ID: the service's temporary key from <c>GET /api/v1/auth/accessKey</c>
/// (Entra bearer token), cached and fetched again before it expires. Readers never wait on a refresh while a valid
/// key is held; one fetch runs at a time; a failed fetch keeps the old key until it expires and is tried again
/// after a back-off, not on every read.
/// </summary>
public sealed partial class EntraClientTokenKeySource : IClientTokenKeySource, IDisposable
{
    /// <summary>Where the service hands out its temporary key, under the server endpoint.</summary>
    public const string AccessKeyPath = "/api/v1/auth/accessKey";

    private const int MaxAnswerBytes = 16 * 1024;
    private static readonly JsonSerializerOptions s_json = new() { PropertyNameCaseInsensitive = true };

    private readonly HttpPipeline _pipeline;
    private readonly Uri _accessKeyUri;
    private readonly EntraKeyOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _disposed = new();
    private readonly Lock _gate = new();
    private HeldKey? _held;
    private Task? _refresh;
    private DateTimeOffset _nextAttempt = DateTimeOffset.MinValue;
    private string? _lastFailure;

    /// <summary>Creates a source that fetches through <paramref name="pipeline"/> (see <see cref="SignalREntra.CreatePipeline"/>).</summary>
    public EntraClientTokenKeySource(
        HttpPipeline pipeline,
        SignalRConnectionString connectionString,
        EntraKeyOptions? options = null,
        TimeProvider? timeProvider = null,
        ILogger<EntraClientTokenKeySource>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(connectionString);
        _options = options ?? new EntraKeyOptions();
        if (_options.RefreshInterval <= TimeSpan.Zero || _options.KeyLifetime <= _options.RefreshInterval
            || _options.RetryBackoff <= TimeSpan.Zero || _options.FirstKeyWait < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "The refresh interval and back-off must be positive, the key lifetime longer than the refresh interval.");
        }

        _pipeline = pipeline;
        _accessKeyUri = new Uri(SignalRConnectionString.BaseUrl(connectionString.ServerBaseUri) + AccessKeyPath);
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The URL the key is fetched from.</summary>
    public Uri AccessKeyUri => _accessKeyUri;

    /// <summary>Whether a fetch is running now.</summary>
    internal bool IsFetching
    {
        get
        {
            lock (_gate)
            {
                return _refresh is not null;
            }
        }
    }

    /// <inheritdoc />
    public bool TryGetKey([NotNullWhen(true)] out ClientTokenKey? key)
    {
        var now = _time.GetUtcNow();
        var held = Volatile.Read(ref _held);
        if (held is null || now >= held.ExpiresAt)
        {
            key = null;
            return false;
        }

        if (now >= held.RefreshAt)
        {
            // In the background: this reader keeps the key it has.
            _ = StartRefresh(now);
        }

        key = held.Key;
        return true;
    }

    /// <inheritdoc />
    public async ValueTask<ClientTokenKey> GetKeyAsync(CancellationToken cancellationToken = default)
    {
        if (TryGetKey(out var key))
        {
            return key;
        }

        if (StartRefresh(_time.GetUtcNow()) is { } refresh)
        {
            try
            {
                await refresh.WaitAsync(_options.FirstKeyWait, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The fetch goes on for later readers; this one answers now.
            }
        }

        if (TryGetKey(out key))
        {
            return key;
        }

        var now = _time.GetUtcNow();
        DateTimeOffset next;
        lock (_gate)
        {
            next = _nextAttempt;
        }

        var retryAfter = next > now ? next - now : _options.RetryBackoff;
        throw new SignalRKeyUnavailableException(Volatile.Read(ref _lastFailure) ?? "the service's key is still being fetched", retryAfter);
    }

    /// <summary>
    /// Fetches a key now unless one is valid and fresh, a fetch is running, or a failed one is backing off
    /// (warm-up at start). Completes when that fetch ends; never throws.
    /// </summary>
    public Task WarmUpAsync()
    {
        var now = _time.GetUtcNow();
        var held = Volatile.Read(ref _held);
        return held is not null && now < held.RefreshAt ? Task.CompletedTask : StartRefresh(now) ?? Task.CompletedTask;
    }

    /// <summary>Stops a running fetch and starts no other.</summary>
    public void Dispose() => _disposed.Cancel();

    private Task? StartRefresh(DateTimeOffset now)
    {
        lock (_gate)
        {
            if (_refresh is not null)
            {
                return _refresh;
            }

            if (now < _nextAttempt || _disposed.IsCancellationRequested)
            {
                return null;
            }

            // Task.Run: the body's last step clears _refresh under this lock, so it must not run inline here.
            return _refresh = Task.Run(RefreshAsync);
        }
    }

    private async Task RefreshAsync()
    {
        try
        {
            var key = await FetchAsync(_disposed.Token).ConfigureAwait(false);
            var fetchedAt = _time.GetUtcNow();
            Volatile.Write(ref _held, new HeldKey(key, fetchedAt + _options.RefreshInterval, fetchedAt + _options.KeyLifetime));
            Volatile.Write(ref _lastFailure, null);
            LogKeyFetched(_logger, key.KeyId!, fetchedAt + _options.KeyLifetime);
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
            // Shutting down.
        }
        catch (Exception ex)
        {
            var reason = ex is KeyFetchException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}";
            lock (_gate)
            {
                _nextAttempt = _time.GetUtcNow() + _options.RetryBackoff;
            }

            Volatile.Write(ref _lastFailure, reason);
            var held = Volatile.Read(ref _held);
            if (held is not null && _time.GetUtcNow() < held.ExpiresAt)
            {
                LogRefreshFailed(_logger, reason, held.Key.KeyId!, held.ExpiresAt);
            }
            else
            {
                LogFetchFailed(_logger, reason, _options.RetryBackoff);
            }
        }
        finally
        {
            lock (_gate)
            {
                _refresh = null;
            }
        }
    }

    private async Task<ClientTokenKey> FetchAsync(CancellationToken cancellationToken)
    {
        using var request = _pipeline.CreateRequest();
        request.Method = RequestMethod.Get;
        request.Uri.Reset(_accessKeyUri);
        using var response = await _pipeline.SendRequestAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.Status != 200)
        {
            var code = response.Headers.TryGetValue("x-ms-error-code", out var c) ? $" ({c})" : string.Empty;
            throw new KeyFetchException($"the service answered HTTP {response.Status}{code}");
        }

        var body = await ReadBoundedAsync(response.ContentStream, cancellationToken).ConfigureAwait(false);
        AccessKeyAnswer? answer;
        try
        {
            answer = JsonSerializer.Deserialize<AccessKeyAnswer>(body, s_json);
        }
        catch (JsonException)
        {
            // The parser's message may quote the body, which holds the key.
            throw new KeyFetchException("the service's answer is not JSON");
        }

        if (answer is not { KeyId.Length: > 0, AccessKey.Length: > 0 })
        {
            throw new KeyFetchException("the service's answer lacks KeyId or AccessKey");
        }

        return new ClientTokenKey(answer.KeyId, answer.AccessKey);
    }

    private static async Task<byte[]> ReadBoundedAsync(Stream? stream, CancellationToken cancellationToken)
    {
        if (stream is null)
        {
            throw new KeyFetchException("the service's answer has no body");
        }

        var buffer = new byte[MaxAnswerBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
        {
            length += read;
        }

        return length > MaxAnswerBytes
            ? throw new KeyFetchException($"the service's answer is over {MaxAnswerBytes} bytes")
            : buffer[..length];
    }

    [LoggerMessage(EventId = 1190, Level = LogLevel.Information, Message = "fetched the SignalR service's temporary key {KeyId}; valid until {ExpiresAt:o}")]
    private static partial void LogKeyFetched(ILogger logger, string keyId, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 1191, Level = LogLevel.Warning, Message = "refreshing the SignalR service's temporary key failed: {Reason}; key {KeyId} stays in use until {ExpiresAt:o}")]
    private static partial void LogRefreshFailed(ILogger logger, string reason, string keyId, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 1192, Level = LogLevel.Warning, Message = "fetching the SignalR service's temporary key failed: {Reason}; negotiate answers 503 until a fetch succeeds (next try in {Backoff})")]
    private static partial void LogFetchFailed(ILogger logger, string reason, TimeSpan backoff);

    private sealed record HeldKey(ClientTokenKey Key, DateTimeOffset RefreshAt, DateTimeOffset ExpiresAt);

    private sealed class AccessKeyAnswer
    {
        [JsonPropertyName("KeyId")]
        public string? KeyId { get; set; }

        [JsonPropertyName("AccessKey")]
        public string? AccessKey { get; set; }
    }

    private sealed class KeyFetchException(string reason) : Exception(reason);
}
