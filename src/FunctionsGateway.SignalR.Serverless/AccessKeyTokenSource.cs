using System.Collections.Concurrent;

namespace FunctionsGateway.SignalR.Serverless;

/// <summary>Signs short-lived REST tokens with the access key and reuses each one for half its lifetime.</summary>
public sealed class AccessKeyTokenSource : IServiceTokenSource
{
    /// <summary>Default REST token lifetime.</summary>
    public static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromMinutes(10);

    // Audiences include connection ids, so the cache is capped rather than left to grow.
    private const int MaxCachedAudiences = 2048;

    private readonly string _accessKey;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _timeProvider;
    private readonly ConcurrentDictionary<string, CachedToken> _cache = new(StringComparer.Ordinal);

    /// <summary>Creates a token source for <paramref name="accessKey"/>.</summary>
    public AccessKeyTokenSource(string accessKey, TimeSpan? tokenLifetime = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessKey);
        _accessKey = accessKey;
        _lifetime = tokenLifetime ?? DefaultTokenLifetime;
        if (_lifetime <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(tokenLifetime), "Token lifetime must be positive.");
        }

        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public ValueTask<string> GetAccessTokenAsync(string audience, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(audience);
        var now = _timeProvider.GetUtcNow();
        if (_cache.TryGetValue(audience, out var cached) && now < cached.RefreshAt)
        {
            return ValueTask.FromResult(cached.Token);
        }

        if (_cache.Count >= MaxCachedAudiences)
        {
            _cache.Clear();
        }

        var token = ServiceJwt.Create(_accessKey, audience, _lifetime, null, now);
        _cache[audience] = new CachedToken(token, now + (_lifetime / 2));
        return ValueTask.FromResult(token);
    }

    private readonly record struct CachedToken(string Token, DateTimeOffset RefreshAt);
}
