namespace FunctionsGateway.SignalR.Serverless;

/// <summary>
/// Builds serverless negotiate results the way the SignalR SDK does: HS256 token (with a <c>kid</c> header when the
/// key is the service's temporary key, under Entra ID), <c>aud</c> without port, user id in both <c>nameid</c> and
/// <c>asrs.s.uid</c>, reserved names prefixed with <c>asrs.u.</c>.
/// </summary>
public sealed class NegotiateResponseFactory
{
    /// <summary>The SDK's default client token lifetime.</summary>
    public static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromHours(1);

    private readonly IClientTokenKeySource _keys;
    private readonly string _clientBase;
    private readonly string _audienceBase;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates a factory for an access-key connection string.</summary>
    /// <exception cref="InvalidOperationException">The connection string has no access key (identity auth): use the other constructor.</exception>
    public NegotiateResponseFactory(SignalRConnectionString connectionString, TimeSpan? tokenLifetime = null, TimeProvider? timeProvider = null)
        : this(
            connectionString,
            new AccessKeyClientTokenKeySource(connectionString?.AccessKey
                ?? throw new InvalidOperationException("Negotiate tokens need an AccessKey, or an IClientTokenKeySource (the service's temporary key) for identity auth.")),
            tokenLifetime,
            timeProvider)
    {
    }

    /// <summary>Creates a factory that signs with the keys of <paramref name="keys"/> (an access key, or the service's temporary key).</summary>
    public NegotiateResponseFactory(SignalRConnectionString connectionString, IClientTokenKeySource keys, TimeSpan? tokenLifetime = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        ArgumentNullException.ThrowIfNull(keys);
        _keys = keys;
        TokenLifetime = tokenLifetime ?? DefaultTokenLifetime;
        if (TokenLifetime <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(tokenLifetime), "Token lifetime must be positive.");
        }

        _clientBase = SignalRConnectionString.BaseUrl(connectionString.ClientBaseUri);
        _audienceBase = connectionString.AudienceBase;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The default token lifetime of this factory.</summary>
    public TimeSpan TokenLifetime { get; }

    /// <summary>The URL clients connect to: <c>{ClientBaseUri}/client/?hub={lower(hub)}</c>, port kept.</summary>
    public string GetClientUrl(string hub) => string.Concat(_clientBase, "/client/?hub=", SignalRHubName.Normalize(hub));

    /// <summary>The client token audience: <c>{scheme}://{host}/client/?hub={lower(hub)}</c>, no port.</summary>
    public string GetClientAudience(string hub) => string.Concat(_audienceBase, "client/?hub=", SignalRHubName.Normalize(hub));

    /// <summary>Builds the negotiate result for <paramref name="hub"/> with the key at hand, without waiting for one.</summary>
    /// <param name="hub">Hub name; lower-cased in the URL and audience.</param>
    /// <param name="userId">User id written to <c>asrs.s.uid</c> and <c>nameid</c>; null or empty for an anonymous connection.</param>
    /// <param name="claims">Extra claims. Names in <see cref="SignalRClaimTypes.SystemClaims"/> become <c>asrs.u.{name}</c>;
    /// only the first <c>sub</c> stays <c>sub</c>; long .NET claim URIs are shortened.</param>
    /// <param name="lifetime">Overrides <see cref="TokenLifetime"/>.</param>
    /// <exception cref="InvalidOperationException">The token would exceed <see cref="ServiceJwt.MaxTokenLength"/> characters.</exception>
    /// <exception cref="SignalRKeyUnavailableException">No valid key is held now.</exception>
    public NegotiateResponse Create(string hub, string? userId, IEnumerable<KeyValuePair<string, string>>? claims = null, TimeSpan? lifetime = null)
        => _keys.TryGetKey(out var key)
            ? Create(key, hub, userId, claims, lifetime)
            : throw new SignalRKeyUnavailableException("no valid key is held", TimeSpan.FromSeconds(1));

    /// <summary>
    /// Builds the negotiate result, waiting (a bounded time) for a key only when none is held, as with the service's
    /// temporary key before its first fetch. Parameters as <see cref="Create(string, string?, IEnumerable{KeyValuePair{string, string}}?, TimeSpan?)"/>.
    /// </summary>
    /// <exception cref="SignalRKeyUnavailableException">No valid key could be had in time.</exception>
    public async ValueTask<NegotiateResponse> CreateAsync(
        string hub, string? userId, IEnumerable<KeyValuePair<string, string>>? claims = null, TimeSpan? lifetime = null, CancellationToken cancellationToken = default)
    {
        // Validate the caller's input before waiting on a key.
        _ = SignalRHubName.Normalize(hub);
        var key = _keys.TryGetKey(out var held) ? held : await _keys.GetKeyAsync(cancellationToken).ConfigureAwait(false);
        return Create(key, hub, userId, claims, lifetime);
    }

    private NegotiateResponse Create(ClientTokenKey key, string hub, string? userId, IEnumerable<KeyValuePair<string, string>>? claims, TimeSpan? lifetime)
    {
        var url = GetClientUrl(hub);
        var audience = GetClientAudience(hub);
        var tokenClaims = BuildClaims(userId, claims);

        // A temporary key is named in the header (kid); the service looks it up by that id.
        var token = ServiceJwt.Create(key.AccessKey, audience, lifetime ?? TokenLifetime, tokenClaims, _timeProvider.GetUtcNow(), key.KeyId);
        if (token.Length > ServiceJwt.MaxTokenLength)
        {
            throw new InvalidOperationException(
                $"The negotiate access token would be {token.Length} characters; the service accepts at most {ServiceJwt.MaxTokenLength}. Send fewer claims.");
        }

        return new NegotiateResponse(url, token);
    }

    private static List<KeyValuePair<string, string>> BuildClaims(string? userId, IEnumerable<KeyValuePair<string, string>>? claims)
    {
        var result = new List<KeyValuePair<string, string>>(4);
        var hasUser = !string.IsNullOrEmpty(userId);
        if (hasUser)
        {
            // The Management SDK and the emulator read asrs.s.uid; the REST docs and older SDKs read nameid.
            result.Add(new(SignalRClaimTypes.UserId, userId!));
            result.Add(new(SignalRClaimTypes.NameIdentifier, userId!));
        }

        if (claims is null)
        {
            return result;
        }

        var sawSub = false;
        foreach (var (rawType, value) in claims)
        {
            ArgumentException.ThrowIfNullOrEmpty(rawType, nameof(claims));
            ArgumentNullException.ThrowIfNull(value, nameof(claims));
            var type = SignalRClaimTypes.ToShortType(rawType);

            // A second identity would turn the user id claim into an array and make the user ambiguous.
            if (type == SignalRClaimTypes.UserId || (hasUser && type == SignalRClaimTypes.NameIdentifier))
            {
                throw new ArgumentException($"Claim '{type}' carries the user id; pass it as userId instead.", nameof(claims));
            }

            if (type == "sub")
            {
                type = sawSub ? SignalRClaimTypes.UserPrefix + type : type;
                sawSub = true;
            }
            else if (SignalRClaimTypes.SystemClaims.Contains(type))
            {
                type = SignalRClaimTypes.UserPrefix + type;
            }

            result.Add(new(type, value));
        }

        return result;
    }
}
