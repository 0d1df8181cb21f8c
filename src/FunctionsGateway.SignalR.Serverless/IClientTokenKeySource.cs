using System.Diagnostics.CodeAnalysis;

namespace FunctionsGateway.SignalR.Serverless;

/// <summary>
/// The key client (negotiate) tokens are signed with: the access key, or under Microsoft Entra ID the service's
/// temporary key, named by its <see cref="KeyId"/> in the token's <c>kid</c> header.
/// </summary>
public sealed class ClientTokenKey
{
    /// <summary>Creates a key.</summary>
    public ClientTokenKey(string? keyId, string accessKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessKey);
        KeyId = string.IsNullOrEmpty(keyId) ? null : keyId;
        AccessKey = accessKey;
    }

    /// <summary>The <c>kid</c> header value; null for an access key from the connection string.</summary>
    public string? KeyId { get; }

    /// <summary>The key as the service gave it; its UTF-8 bytes are the HMAC key.</summary>
    public string AccessKey { get; }

    /// <summary>Never prints the key.</summary>
    public override string ToString() => KeyId is null ? "access key" : "temporary key " + KeyId;
}

/// <summary>Supplies the <see cref="ClientTokenKey"/> that <see cref="NegotiateResponseFactory"/> signs with.</summary>
public interface IClientTokenKeySource
{
    /// <summary>The key at hand, without waiting; false when none is valid now.</summary>
    bool TryGetKey([NotNullWhen(true)] out ClientTokenKey? key);

    /// <summary>A valid key, waiting a bounded time for one when none is held.</summary>
    /// <exception cref="SignalRKeyUnavailableException">No valid key could be had in time.</exception>
    ValueTask<ClientTokenKey> GetKeyAsync(CancellationToken cancellationToken = default);
}

/// <summary>The access key of the connection string: always at hand, no <c>kid</c>.</summary>
public sealed class AccessKeyClientTokenKeySource(string accessKey) : IClientTokenKeySource
{
    private readonly ClientTokenKey _key = new(null, accessKey);

    /// <inheritdoc />
    public bool TryGetKey([NotNullWhen(true)] out ClientTokenKey? key)
    {
        key = _key;
        return true;
    }

    /// <inheritdoc />
    public ValueTask<ClientTokenKey> GetKeyAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(_key);
}

/// <summary>No valid key to sign client tokens with: the temporary key could not be fetched, or has expired.</summary>
public sealed class SignalRKeyUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SignalRKeyUnavailableException()
        : this("unknown", TimeSpan.FromSeconds(1))
    {
    }

    /// <summary>Creates the exception.</summary>
    public SignalRKeyUnavailableException(string message)
        : this(message, TimeSpan.FromSeconds(1))
    {
    }

    /// <summary>Creates the exception.</summary>
    public SignalRKeyUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = message;
        RetryAfter = TimeSpan.FromSeconds(1);
    }

    /// <summary>Creates the exception with the last fetch's failure and when the next fetch may be tried.</summary>
    public SignalRKeyUnavailableException(string reason, TimeSpan retryAfter)
        : base("The SignalR service's signing key is unavailable: " + reason)
    {
        Reason = reason;
        RetryAfter = retryAfter;
    }

    /// <summary>Why (an HTTP status or an exception type and message); never a token or key.</summary>
    public string Reason { get; }

    /// <summary>How soon a new fetch may be tried.</summary>
    public TimeSpan RetryAfter { get; }
}
