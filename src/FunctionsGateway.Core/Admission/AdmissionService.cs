using System.Text;
using System.Text.Json;
using FunctionsGateway.Core.Connections;
using FunctionsGateway.Core.Events;
using FunctionsGateway.Core.Methods;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Core.Admission;

/// <summary>
/// Admission of a connection: <c>connect.challenge</c> and <c>connect</c> (docs/protocol.md §3), each check failing
/// with its own details.code, then the pairing gate.
/// </summary>
public sealed partial class AdmissionService(
    IConnectionStore connections,
    IDeviceStore devices,
    PairingRequests requests,
    PairingDecisions decisions,
    IGatewayNotifier notifier,
    IEnumerable<IMethodHandler> handlers,
    IEnumerable<IConnectionObserver> observers,
    IOptions<GatewayOptions> gatewayOptions,
    IOptions<PairingLimits> pairingLimits,
    TimeProvider time,
    ILogger<AdmissionService> logger)
{
    /// <summary>Close reason once a connection has used up its failed admission attempts.</summary>
    public const string AttemptsExhaustedCloseReason = CloseReasons.AdmissionAttemptsExhausted;

    /// <summary>Close reason when the gate would file a request but a pending-request cap is reached.</summary>
    public const string PendingLimitCloseReason = CloseReasons.PendingLimitReached;

    private readonly GatewayOptions options = gatewayOptions.Value;
    private readonly int maxAdmissionFailures = pairingLimits.Value.MaxAdmissionFailures;
    private readonly ChallengeNonce nonces = new(gatewayOptions.Value.SharedToken);

    private const int MaxAttempts = 5;

    /// <summary>Discovery for hello-ok: the methods this gateway answers (not every name the scope table classifies).</summary>
    private readonly string[] methodNames = [.. handlers.SelectMany(h => h.Methods).Append(GatewayMethods.Health).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>
    /// Stateless: the nonce carries its connection id, expiry and MAC (<see cref="ChallengeNonce"/>), so issuing one
    /// costs no storage. A connection that is admitted or closed gets one too, and <c>connect</c> refuses it.
    /// </summary>
    public Task<GatewayResponse> ChallengeAsync(CallContext context, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var nonce = nonces.Issue(context.ConnectionId, now + options.ChallengeLifetime);
        return Task.FromResult(GatewayResponse.Success(new ChallengePayload(nonce, now.ToUnixTimeMilliseconds(), GatewayProtocol.Version)));
    }

    public async Task<DispatchResult> ConnectAsync(CallContext context, JsonElement parameters, CancellationToken cancellationToken)
    {
        ConnectParams? p;
        try
        {
            p = parameters.ValueKind == JsonValueKind.Object ? parameters.Deserialize<ConnectParams>(GatewayJson.Options) : null;
        }
        catch (JsonException ex)
        {
            return new(GatewayResponse.Invalid("invalid connect params: " + ex.Message, DetailCodes.InvalidParams));
        }

        if (p is null)
        {
            return new(GatewayResponse.Invalid("invalid connect params: an object is required", DetailCodes.InvalidParams));
        }

        if (p.MinProtocol > GatewayProtocol.Version || p.MaxProtocol < GatewayProtocol.Version)
        {
            return new(GatewayResponse.Invalid("protocol mismatch", DetailCodes.ProtocolMismatch, new { expectedProtocol = GatewayProtocol.Version }));
        }

        if (Shape(p) is { } shapeError)
        {
            return new(shapeError);
        }

        if (!GatewayRoles.TryParse(p.Role, out var role))
        {
            return new(GatewayResponse.Invalid("unauthorized role: " + p.Role, DetailCodes.InvalidRole));
        }

        if (!OperatorScopes.TryParseAll(p.Scopes, out var scopes, out var unknownScope))
        {
            return new(GatewayResponse.Invalid("unknown scope: " + unknownScope, DetailCodes.InvalidScope));
        }

        if (role == GatewayRole.Node && scopes != ScopeSet.None)
        {
            return new(GatewayResponse.Invalid("a node connection takes no operator scopes", DetailCodes.InvalidScope));
        }

        var device = p.Device!;
        if (!DeviceIdentity.TryDecodePublicKey(device.PublicKey, out var publicKey))
        {
            return new(GatewayResponse.Invalid("device public key invalid", DetailCodes.DevicePublicKeyInvalid));
        }

        var deviceId = DeviceIdentity.DeriveDeviceId(publicKey);
        if (!string.Equals(deviceId, device.Id, StringComparison.Ordinal))
        {
            return new(GatewayResponse.Invalid("device identity mismatch", DetailCodes.DeviceIdMismatch));
        }

        var now = time.GetUtcNow();
        // Compared without arithmetic on the caller's number, so no signedAt can overflow.
        var nowMs = now.ToUnixTimeMilliseconds();
        var skewMs = (long)options.SignatureSkew.TotalMilliseconds;
        if (device.SignedAt < nowMs - skewMs || device.SignedAt > nowMs + skewMs)
        {
            return new(GatewayResponse.Invalid("device signature expired", DetailCodes.SignatureExpired));
        }

        // The nonce proves itself (MAC over this connection id, expiry); whether it was spent is known only when the
        // connection row is written. A refused connection answers as before, so these failures look at its row.
        if (string.IsNullOrEmpty(device.Nonce))
        {
            return new(await RefusalOrAsync(context, GatewayResponse.Invalid("device nonce required", DetailCodes.NonceMismatch), cancellationToken));
        }

        if (nonces.Verify(device.Nonce, context.ConnectionId) is not { } expiresAt)
        {
            return new(await RefusalOrAsync(context, NonceMismatch(), cancellationToken));
        }

        // Single use: the challenge is spent by this attempt, whatever its outcome, and counted: every attempt that does
        // not admit the connection is a failed one (NOT_PAIRED ends admission anyway).
        var spend = new NonceSpend(device.Nonce, expiresAt);
        if (expiresAt <= now)
        {
            return await FailedSpendAsync(context, spend,
                GatewayResponse.Invalid("device nonce expired: request a new connect.challenge", DetailCodes.NonceMismatch), cancellationToken);
        }

        var scopeNames = p.Scopes ?? [];
        var token = DeviceAuthPayload.SelectToken(p.Auth?.Token, p.Auth?.DeviceToken);
        var payload = DeviceAuthPayload.Build(deviceId, p.Client!.Id!, p.Client.Mode!, p.Role!, scopeNames, device.SignedAt,
            token, device.Nonce, p.Client.Platform, p.Client.DeviceFamily);
        if (!Base64Url.TryDecode(device.Signature, out var signature)
            || !DeviceIdentity.Verify(publicKey, Encoding.UTF8.GetBytes(payload), signature))
        {
            return await FailedSpendAsync(context, spend, GatewayResponse.Invalid("device signature invalid", DetailCodes.SignatureInvalid), cancellationToken);
        }

        var request = new AccessRequest(deviceId, device.PublicKey!, role, scopes,
            DeviceAuthPayload.NormalizeMetadata(p.Client.Platform), DeviceAuthPayload.NormalizeMetadata(p.Client.DeviceFamily),
            p.Client.Id!, p.Client.Mode!);
        return await AdmitAsync(context, spend, request, p.Auth, cancellationToken);
    }

    /// <summary>
    /// The nonce is spent on the connection row exactly once: with the admitted row itself when the gate admits at
    /// once (one write), or first, before anything a failure or the pairing gate changes.
    /// </summary>
    private async Task<DispatchResult> AdmitAsync(CallContext context, NonceSpend spend, AccessRequest request, ConnectAuth? auth, CancellationToken cancellationToken)
    {
        var roleName = GatewayRoles.Name(request.Role);
        ConnectionRecord? connection = null;
        var admitted = false;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var snapshot = await devices.ReadAsync(request.DeviceId, roleName, context.Origin == CallOrigin.Internal, cancellationToken);
            if (Authenticate(auth, snapshot) is { } authError)
            {
                return admitted
                    ? await RefuseAsync(context, admitted, authError, cancellationToken)
                    : await FailedAsync(authError);
            }

            var verdict = PairingGate.Evaluate(snapshot, request, context.Origin);
            if (verdict.Kind != GateVerdictKind.Pass && connection is null)
            {
                (connection, var refused) = await SpendAsync(context.ConnectionId, spend, null, cancellationToken);
                if (refused is not null)
                {
                    return new(refused);
                }
            }

            if (verdict.Kind == GateVerdictKind.SilentFirstPairing)
            {
                // Re-read after pairing so the token row and device row carry fresh versions.
                await decisions.TrySilentFirstPairingAsync(request, snapshot, cancellationToken);
                continue;
            }

            if (verdict.Kind == GateVerdictKind.RequiresApproval)
            {
                var approved = snapshot.Device is null ? ScopeSet.None : OperatorScopes.FromStorage(snapshot.Device.Scopes);
                var address = context.Origin == CallOrigin.Network ? ClientAddress.FromUserId(context.UserId) : null;
                var outcome = await requests.RequestAsync(request, verdict.Reason!, approved, snapshot.Device, address, cancellationToken);
                if (outcome is null)
                {
                    continue;
                }

                if (outcome.Refusal is { } full)
                {
                    // Over a cap: nothing stored, nothing announced, and this connection is done with admission.
                    await connections.MarkClosedAsync(context.ConnectionId, PendingLimitCloseReason, cancellationToken);
                    return new(full, PendingLimitCloseReason);
                }

                var pending = outcome.Pending!;

                var details = new PairingRequiredDetails(pending.RequestId, pending.Reason, pending.Role,
                    OperatorScopes.ToNames(request.Scopes), OperatorScopes.ToNames(approved));
                var response = GatewayResponse.Failure(ErrorCodes.NotPaired, "pairing required", new ErrorDetails(DetailCodes.PairingRequired, details));

                // The connection is finished for admission now, not when the deferred close arrives: no further
                // challenge or connect on it, as this device or any other, can open more requests.
                await connections.MarkClosedAsync(context.ConnectionId, GatewayProtocol.PairingRequiredCloseReason, cancellationToken);
                return new(response, GatewayProtocol.PairingRequiredCloseReason);
            }

            // A sub-agent's key never leaves the process; if it were presented over the network, it is still refused.
            if (snapshot.Device!.IsInternal && context.Origin != CallOrigin.Internal)
            {
                var boundary = GatewayResponse.Invalid("a sub-agent identity cannot connect over the network", DetailCodes.InternalIdentityBoundary);
                return admitted
                    ? await RefuseAsync(context, admitted, boundary, cancellationToken)
                    : await FailedAsync(boundary);
            }

            // Admit the connection row before the device partition records it, so a racing revocation that
            // sees the index entry always finds a row to invalidate.
            if (!admitted)
            {
                if (connection is null)
                {
                    (connection, var refused) = await SpendAsync(context.ConnectionId, spend, c => Admit(c, request, snapshot.Device!, roleName), cancellationToken);
                    if (refused is not null)
                    {
                        return new(refused);
                    }
                }
                else
                {
                    Admit(connection, request, snapshot.Device!, roleName);
                    if (!await connections.TryReplaceAsync(connection, cancellationToken))
                    {
                        return new(GatewayResponse.Invalid("concurrent admission on this connection", DetailCodes.ConcurrentUpdate));
                    }
                }

                admitted = true;
            }

            var (writes, mintedToken) = AdmissionWrites(context.ConnectionId, snapshot, roleName);
            if (!await devices.TryCommitAsync(writes, cancellationToken))
            {
                continue;
            }

            var admittedConnection = new AdmittedConnection(context.ConnectionId, request.DeviceId, request.Role, request.Scopes, connection!.IsInternal);
            await notifier.ConnectionAdmittedAsync(admittedConnection, cancellationToken);
            foreach (var observer in observers)
            {
                await observer.AdmittedAsync(admittedConnection, cancellationToken);
            }

            LogAdmitted(logger, context.ConnectionId, request.DeviceId, roleName, OperatorScopes.ToStorage(request.Scopes));
            return new(GatewayResponse.Success(new HelloOk(
                "hello-ok",
                GatewayProtocol.Version,
                new HelloServer(options.ServerVersion, context.ConnectionId),
                new HelloAuth(mintedToken, roleName, OperatorScopes.ToNames(request.Scopes)),
                new HelloFeatures(methodNames, GatewayEvents.All),
                options.ToPolicy())));
        }

        return await RefuseAsync(context, admitted,
            GatewayResponse.Failure(ErrorCodes.Unavailable, "device record kept changing during admission; retry", new ErrorDetails(DetailCodes.ConcurrentUpdate)),
            cancellationToken);

        // A failure before admission: spent now if the nonce is not spent yet, then counted.
        async Task<DispatchResult> FailedAsync(GatewayResponse failure)
            => connection is null
                ? await FailedSpendAsync(context, spend, failure, cancellationToken)
                : await FailedAttemptAsync(context, connection, failure, cancellationToken);
    }

    private async Task<DispatchResult> RefuseAsync(CallContext context, bool admitted, GatewayResponse response, CancellationToken cancellationToken)
    {
        if (admitted)
        {
            await connections.MarkClosedAsync(context.ConnectionId, response.Error?.Message ?? "refused", cancellationToken);
        }

        return new(response);
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "connection {ConnectionId} admitted: device={DeviceId} role={Role} scopes={Scopes}")]
    private static partial void LogAdmitted(ILogger logger, string connectionId, string deviceId, string role, string scopes);
}
