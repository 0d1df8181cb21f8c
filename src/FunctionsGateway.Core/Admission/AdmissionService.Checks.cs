using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Methods;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Protocol;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Core.Admission;

/// <summary>The checks of an admission attempt, and what a failed attempt costs the connection.</summary>
public sealed partial class AdmissionService
{
    /// <summary>
    /// Spends the nonce on the connection row in one conditional write: added when the connection has no row yet,
    /// otherwise (an earlier failed attempt) replaced under the version read, refused if the row is admitted or closed
    /// or already lists this nonce. <paramref name="admit"/>, when given, admits the connection in the same write.
    /// </summary>
    private async Task<(ConnectionRecord? Row, GatewayResponse? Refused)> SpendAsync(
        string connectionId, NonceSpend spend, Action<ConnectionRecord>? admit, CancellationToken cancellationToken)
    {
        var fresh = new ConnectionRecord { ConnectionId = connectionId, State = ConnectionState.Challenged };
        fresh.Spend(spend.Nonce, spend.ExpiresAt);
        admit?.Invoke(fresh);
        if (await connections.TryAddAsync(fresh, cancellationToken))
        {
            return (fresh, null);
        }

        var existing = await connections.GetAsync(connectionId, cancellationToken);
        if (existing is null)
        {
            // Removed between the add and the read: the service reported the connection gone.
            return (null, GatewayResponse.Invalid("concurrent admission on this connection", DetailCodes.ConcurrentUpdate));
        }

        if (Refusal(existing) is { } refused)
        {
            return (null, refused);
        }

        if (existing.HasSpent(spend.Nonce))
        {
            return (null, NonceMismatch());
        }

        existing.Spend(spend.Nonce, spend.ExpiresAt);
        admit?.Invoke(existing);
        return await connections.TryReplaceAsync(existing, cancellationToken)
            ? (existing, null)
            : (null, GatewayResponse.Invalid("device nonce already used", DetailCodes.NonceMismatch));
    }

    /// <summary>A connect that fails before anything is stored for it: the nonce is spent and the attempt counted.</summary>
    private async Task<DispatchResult> FailedSpendAsync(CallContext context, NonceSpend spend, GatewayResponse failure, CancellationToken cancellationToken)
    {
        var (row, refused) = await SpendAsync(context.ConnectionId, spend, null, cancellationToken);
        return row is null ? new(refused!) : await FailedAttemptAsync(context, row, failure, cancellationToken);
    }

    /// <summary>A nonce that proves nothing is not spent; a connection that is admitted or closed still answers so first.</summary>
    private async Task<GatewayResponse> RefusalOrAsync(CallContext context, GatewayResponse failure, CancellationToken cancellationToken)
        => Refusal(await connections.GetAsync(context.ConnectionId, cancellationToken)) ?? failure;

    private static GatewayResponse NonceMismatch()
        => GatewayResponse.Invalid("device nonce mismatch: request connect.challenge on this connection first", DetailCodes.NonceMismatch);

    /// <summary>The admitted row; its spent nonces are dropped, since an admitted connection refuses every further connect.</summary>
    private void Admit(ConnectionRecord connection, AccessRequest request, DeviceRecord device, string roleName)
    {
        connection.DeviceId = request.DeviceId;
        connection.Role = roleName;
        connection.ScopeMask = (int)request.Scopes;
        connection.ClientId = request.ClientId;
        connection.IsInternal = device.IsInternal;
        connection.BoundSessionKey = device.BoundSessionKey;
        connection.AdmittedAt = time.GetUtcNow();
        connection.State = ConnectionState.Admitted;
        connection.SpentNonces = null;
        connection.NonceExpiresAt = null;
    }

    /// <summary>
    /// A connect that spent its challenge and failed to prove the device (nonce expired, signature, credentials). Once
    /// the connection has spent <c>Gateway__Pairing__MaxAdmissionFailures</c> challenges so, it gets no further attempt:
    /// the answer says so, and the connection is closed after it is delivered.
    /// </summary>
    private async Task<DispatchResult> FailedAttemptAsync(CallContext context, ConnectionRecord connection, GatewayResponse failure, CancellationToken cancellationToken)
    {
        if (connection.AdmissionAttempts < maxAdmissionFailures)
        {
            return new(failure);
        }

        await connections.MarkClosedAsync(context.ConnectionId, AttemptsExhaustedCloseReason, cancellationToken);
        LogExhausted(logger, context.ConnectionId, connection.AdmissionAttempts);
        var cause = (failure.Error?.Details as ErrorDetails)?.Code;
        return new(GatewayResponse.Invalid(
            $"{failure.Error?.Message}; {connection.AdmissionAttempts} failed admission attempts on this connection, which is now closed",
            DetailCodes.AdmissionAttemptsExhausted, new { failure = cause, max = maxAdmissionFailures }), AttemptsExhaustedCloseReason);
    }

    /// <summary>The shared gateway token, or this device's unrevoked token for the requested role.</summary>
    private GatewayResponse? Authenticate(ConnectAuth? auth, DeviceSnapshot snapshot)
    {
        if (DeviceTokens.SecretEquals(auth?.Token, options.SharedToken))
        {
            return null;
        }

        if (!string.IsNullOrEmpty(auth?.DeviceToken))
        {
            return snapshot.Token is { IsActive: true } token && DeviceTokens.Matches(auth.DeviceToken, token.TokenHash)
                ? null
                : GatewayResponse.Invalid("unauthorized: device token mismatch", DetailCodes.AuthDeviceTokenMismatch);
        }

        return GatewayResponse.Invalid(
            string.IsNullOrEmpty(auth?.Token) ? "unauthorized: gateway token missing" : "unauthorized: gateway token mismatch",
            DetailCodes.AuthUnauthorized);
    }

    /// <summary>
    /// One transaction in the device's partition: record the live connection, mint a token if one is due, and touch
    /// the device and token rows under their versions, so a concurrent revoke, rotation, removal or approval forces a re-check.
    /// </summary>
    private (List<DeviceWrite> Writes, string? MintedToken) AdmissionWrites(string connectionId, DeviceSnapshot snapshot, string roleName)
    {
        var now = time.GetUtcNow();
        var device = snapshot.Device!;
        device.LastSeenAt = now;
        var writes = new List<DeviceWrite>
        {
            DeviceWrite.Replace(device),
            DeviceWrite.Upsert(new DeviceConnectionRecord
            {
                DeviceId = device.DeviceId,
                ConnectionId = connectionId,
                Role = roleName,
                AdmittedAt = now,
            }),
        };

        string? minted = null;
        var token = snapshot.Token;
        if (token is { IssuePending: false, IsActive: true })
        {
            // Unchanged, but under its version: a revoke or rotation committed since the read fails this commit.
            writes.Add(DeviceWrite.Check(token));
        }
        else
        {
            (minted, var hash) = DeviceTokens.Mint();
            var fresh = new DeviceTokenRecord
            {
                DeviceId = device.DeviceId,
                Role = roleName,
                TokenHash = hash,
                Scopes = roleName == GatewayRoles.Operator ? device.Scopes : string.Empty,
                CreatedAt = token?.CreatedAt ?? now,
                RotatedAt = token is null ? null : now,
            };
            fresh.Version = token?.Version;
            writes.Add(token is null ? DeviceWrite.Add(fresh) : DeviceWrite.Replace(fresh));
        }

        return (writes, minted);
    }

    private static GatewayResponse? Refusal(ConnectionRecord? connection) => connection?.State switch
    {
        ConnectionState.Admitted => GatewayResponse.Invalid("already connected: a connection performs one handshake", DetailCodes.AlreadyConnected),
        ConnectionState.Closed => GatewayResponse.Invalid("connection closed: " + connection!.ClosedReason, DetailCodes.ConnectionClosed),
        _ => null,
    };

    private static GatewayResponse? Shape(ConnectParams p)
    {
        string? missing = p switch
        {
            { Client: null } => "client",
            { Client.Id: null or "" } => "client.id",
            { Client.Mode: null or "" } => "client.mode",
            { Role: null or "" } => "role",
            { Device: null } => "device",
            { Device.Id: null or "" } => "device.id",
            { Device.PublicKey: null or "" } => "device.publicKey",
            { Device.Signature: null or "" } => "device.signature",
            _ => null,
        };
        if (missing is not null)
        {
            return GatewayResponse.Invalid("invalid connect params: missing " + missing, DetailCodes.InvalidParams, new { field = missing });
        }

        if (p.Client!.Id!.Length > 128 || p.Client.Mode!.Length > 64 || (p.Client.Platform?.Length ?? 0) > 64
            || (p.Client.DeviceFamily?.Length ?? 0) > 64 || (p.Scopes?.Length ?? 0) > 16 || p.Device!.Id!.Length > 128)
        {
            return GatewayResponse.Invalid("invalid connect params: a field is too long", DetailCodes.InvalidParams);
        }

        return null;
    }

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "connection {ConnectionId} closed after {Attempts} failed admission attempts")]
    private static partial void LogExhausted(ILogger logger, string connectionId, int attempts);
}

/// <summary>A verified challenge nonce that this <c>connect</c> spends.</summary>
internal readonly record struct NonceSpend(string Nonce, DateTimeOffset ExpiresAt);
