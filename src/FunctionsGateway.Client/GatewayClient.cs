using System.Text.Json;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Client;

/// <summary>
/// An admitted gateway connection: negotiate, <c>connect.challenge</c>, the signed <c>connect</c>, then calls and events.
/// The device token the gateway issues is saved in the identity file and used on the next connect.
/// </summary>
public sealed class GatewayClient : IAsyncDisposable
{
    private GatewayClient(GatewayConnection connection, HelloOk hello, string deviceId, bool receivedDeviceToken)
    {
        Connection = connection;
        Hello = hello;
        DeviceId = deviceId;
        ReceivedDeviceToken = receivedDeviceToken;
    }

    /// <summary>
    /// The gateway's hello-ok. <c>Auth.DeviceToken</c> is always null here (the token is a secret; it went to the identity
    /// file): see <see cref="ReceivedDeviceToken"/>.
    /// </summary>
    public HelloOk Hello { get; }

    /// <summary>The gateway's id for this connection (hello-ok <c>server.connectionId</c>).</summary>
    public string ConnectionId => Hello.Server.ConnectionId;

    public string DeviceId { get; }

    public string Role => Hello.Auth.Role;

    /// <summary>The connection's effective scopes: every call is authorized against these.</summary>
    public IReadOnlyList<string> Scopes => Hello.Auth.Scopes;

    /// <summary>True when this handshake minted a new device token (first connect after an approval or a rotation).</summary>
    public bool ReceivedDeviceToken { get; }

    /// <summary>The underlying connection, for raw <see cref="GatewayConnection.RequestAsync"/> calls.</summary>
    public GatewayConnection Connection { get; }

    /// <summary>
    /// Completes with the close reason (<c>device token revoked</c>, <c>device removed</c>, …) when the connection ends;
    /// <see cref="CloseReasons.Classify"/> says whether to reconnect, and when.
    /// </summary>
    public Task<string?> Closed => Connection.Closed;

    /// <summary>Raised for every server event, on SignalR's receive loop: keep handlers short.</summary>
    public event Action<GatewayEvent>? EventReceived
    {
        add => Connection.EventReceived += value;
        remove => Connection.EventReceived -= value;
    }

    /// <summary>Events buffered since the handshake began (unbounded, one reader); ends when the connection closes.</summary>
    public IAsyncEnumerable<GatewayEvent> Events(CancellationToken cancellationToken = default) => Connection.Events(cancellationToken);

    /// <summary>Calls <paramref name="method"/>; returns the payload (default when there is none) or throws <see cref="GatewayException"/>.</summary>
    public Task<JsonElement> InvokeAsync(string method, object? parameters = null, CancellationToken cancellationToken = default)
        => Connection.InvokeAsync(method, parameters, cancellationToken);

    /// <summary>Calls <paramref name="method"/> and deserializes the payload with <see cref="GatewayJson.Options"/>.</summary>
    public async Task<T?> InvokeAsync<T>(string method, object? parameters = null, CancellationToken cancellationToken = default)
    {
        var payload = await InvokeAsync(method, parameters, cancellationToken);
        return payload.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null ? default : payload.Deserialize<T>(GatewayJson.Options);
    }

    public ValueTask DisposeAsync() => Connection.DisposeAsync();

    /// <summary>
    /// Connects and completes the handshake with the stored device token for the role, else the shared token. If the gateway
    /// rejects the stored token (AUTH_DEVICE_TOKEN_MISMATCH), it is forgotten and, with a shared token configured, the
    /// handshake is retried once on a new connection. Throws <see cref="PairingRequiredException"/> when approval is needed.
    /// </summary>
    public static async Task<GatewayClient> ConnectAsync(GatewayClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options = options.Clone();
        options.Validate();
        using var identity = DeviceIdentityStore.LoadOrCreate(options.IdentityPath);

        GatewayException? rejected = null;
        var tried = new HashSet<string>(StringComparer.Ordinal);
        while (identity.GetDeviceToken(options.Role) is { } stored && tried.Add(stored))
        {
            try
            {
                return await HandshakeAsync(options, identity, new ConnectAuth { DeviceToken = stored }, cancellationToken);
            }
            catch (GatewayException ex) when (ex.DetailCode == DetailCodes.AuthDeviceTokenMismatch)
            {
                rejected = ex;
                // Keeps a token another process saved meanwhile; the loop then tries that one.
                identity.RemoveDeviceToken(options.Role, onlyIfToken: stored);
            }
        }

        if (rejected is not null && string.IsNullOrEmpty(options.SharedToken))
        {
            throw rejected;
        }

        var auth = string.IsNullOrEmpty(options.SharedToken) ? null : new ConnectAuth { Token = options.SharedToken };
        return await HandshakeAsync(options, identity, auth, cancellationToken);
    }

    /// <summary>
    /// <see cref="ConnectAsync"/>, and while the gateway answers NOT_PAIRED, reports the pending request to
    /// <paramref name="onPending"/> and tries again on a new connection: first after <paramref name="pollInterval"/>,
    /// then after twice as long each time, up to <see cref="GatewayClientOptions.PairingPollMaxInterval"/>, until
    /// hello-ok. A human approves in minutes, not milliseconds: the growing wait keeps a pending device from
    /// reconnecting in a tight loop. The same ask keeps the same request id on the gateway, so polling opens no new
    /// requests. Throws <see cref="TimeoutException"/> after <paramref name="timeout"/>, and
    /// <see cref="PairingNotApprovedException"/> if the gateway answers twice in a row with a different request id (the
    /// awaited one was rejected, expired or superseded; a single different answer is retried at once, as a connect
    /// racing the approval can produce one).
    /// </summary>
    public static Task<GatewayClient> ConnectWhenApprovedAsync(
        GatewayClientOptions options,
        TimeSpan pollInterval,
        TimeSpan timeout,
        IProgress<PairingRequiredException>? onPending = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var snapshot = options.Clone();
        var waits = new PairingBackoff(pollInterval, snapshot.PairingPollMaxInterval);
        return PairingPoller.RunAsync(ct => ConnectAsync(snapshot, ct), waits, timeout, onPending, TimeProvider.System, cancellationToken);
    }

    private static async Task<GatewayClient> HandshakeAsync(GatewayClientOptions options, DeviceIdentityStore identity, ConnectAuth? auth, CancellationToken cancellationToken)
    {
        var connection = await GatewayConnection.StartAsync(options, cancellationToken);
        try
        {
            var challenge = await connection.ChallengeAsync(cancellationToken);
            var parameters = ConnectRequest.Build(identity.Key, options.ToClientInfo(), options.Role, [.. options.Scopes], challenge.Nonce, auth, DateTimeOffset.UtcNow);
            var hello = await connection.ConnectAsync(parameters, cancellationToken);
            var minted = hello.Auth?.DeviceToken;
            if (!string.IsNullOrEmpty(minted))
            {
                identity.SaveDeviceToken(string.IsNullOrEmpty(hello.Auth!.Role) ? options.Role : hello.Auth.Role, minted, hello.Auth.Scopes ?? []);
                hello = hello with { Auth = hello.Auth with { DeviceToken = null } };
            }

            return new GatewayClient(connection, hello, identity.DeviceId, !string.IsNullOrEmpty(minted));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}

/// <summary>The waits between connects while approval is pending: <c>first</c>, doubling after each, at most <c>max</c>.</summary>
internal readonly record struct PairingBackoff
{
    public PairingBackoff(TimeSpan first, TimeSpan max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(first, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, TimeSpan.Zero);
        First = first;
        Max = max < first ? first : max;
    }

    public TimeSpan First { get; }

    public TimeSpan Max { get; }

    /// <summary>The wait after the <paramref name="pending"/>-th pending answer in a row (1 for the first).</summary>
    public TimeSpan After(int pending)
    {
        var wait = First;
        for (var i = 1; i < pending && wait < Max; i++)
        {
            wait = wait > Max / 2 ? Max : wait + wait;
        }

        return wait < Max ? wait : Max;
    }
}

/// <summary>The wait-for-approval loop, separate from the network so it can be tested on its own.</summary>
internal static class PairingPoller
{
    public static async Task<T> RunAsync<T>(
        Func<CancellationToken, Task<T>> attempt,
        PairingBackoff waits,
        TimeSpan timeout,
        IProgress<PairingRequiredException>? onPending,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        var started = time.GetTimestamp();
        string? waitingOn = null;
        string? replacedBy = null;
        Exception? last = null;
        var pending = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return await attempt(cancellationToken);
            }
            catch (PairingRequiredException ex)
            {
                if (waitingOn is not null && ex.RequestId.Length > 0 && ex.RequestId != waitingOn)
                {
                    // A connect that raced the approval can open a new request although the device is now approved;
                    // one immediate retry tells the two apart. A second answer naming a new request is final.
                    if (replacedBy is not null)
                    {
                        throw new PairingNotApprovedException(waitingOn, ex.RequestId, ex);
                    }

                    replacedBy = ex.RequestId;
                    last = ex;
                    continue;
                }

                replacedBy = null;
                if (ex.RequestId.Length > 0)
                {
                    waitingOn = ex.RequestId;
                }

                last = ex;
                onPending?.Report(ex);
            }
            catch (GatewayException ex) when (last is not null && ex.DetailCode is ClientDetailCodes.ConnectFailed or DetailCodes.ConnectionClosed)
            {
                // Once a request is pending, a gateway restart or a dropped connection is worth another poll.
                last = ex;
            }

            var remaining = timeout - time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                var within = timeout.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + "s";
                throw new TimeoutException(
                    waitingOn is null
                        ? $"pairing was not approved within {within}"
                        : $"pairing request {waitingOn} was not approved within {within}",
                    last);
            }

            var wait = waits.After(++pending);
            await Task.Delay(wait < remaining ? wait : remaining, time, cancellationToken);
        }
    }
}
