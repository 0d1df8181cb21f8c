namespace FunctionsGateway.Core.Telemetry;

/// <summary>Instrument, span and attribute names, each defined once (docs/telemetry.md lists them with their meaning).</summary>
public static class TelemetryNames
{
    // Instruments.
    public const string Handshakes = "gateway.handshakes";
    public const string Denials = "gateway.denials";
    public const string PendingPairingRequests = "gateway.pairing.pending";
    public const string Approvals = "gateway.pairing.approvals";
    public const string SpawnDuration = "gateway.spawn.duration";
    public const string UpstreamDuration = "gateway.upstream.duration";

    // Spans (operation names; the display name adds the method or the table/queue).
    public const string UpstreamSpan = "gateway.upstream";
    public const string DispatchSpan = "gateway.dispatch";
    public const string SpawnSpan = "gateway.spawn";
    public const string StorageSpan = "gateway.storage";

    // Attributes and metric tags: all low-cardinality, never an id, a key, a token or a parameter.
    public const string Method = "gateway.method";
    public const string Origin = "gateway.call.origin";
    public const string HandshakeOutcome = "gateway.handshake.outcome";
    public const string ErrorCode = "gateway.error.code";
    public const string DetailCode = "gateway.error.detail_code";
    public const string Approver = "gateway.pairing.approver";
    public const string SpawnOutcome = "gateway.spawn.outcome";
    public const string UpstreamCategory = "gateway.upstream.category";
    public const string UpstreamEvent = "gateway.upstream.event";
    public const string StorageService = "gateway.storage.service";
    public const string StorageName = "gateway.storage.name";
    public const string HttpMethod = "http.request.method";
    public const string HttpStatus = "http.response.status_code";
    public const string ServerAddress = "server.address";
    public const string ServerPort = "server.port";
    public const string ErrorType = "error.type";
    public const string AzureNamespace = "az.namespace";

    /// <summary>The value of a tag whose input is not one of the gateway's own names (OpenTelemetry's convention).</summary>
    public const string Other = "_OTHER";
}

/// <summary>Values of <see cref="TelemetryNames.HandshakeOutcome"/>.</summary>
public static class HandshakeOutcomes
{
    public const string Admitted = "admitted";
    public const string PairingRequired = "pairing_required";
    public const string Refused = "refused";
    public const string Unavailable = "unavailable";
}

/// <summary>Values of <see cref="TelemetryNames.SpawnOutcome"/>.</summary>
public static class SpawnOutcomes
{
    public const string Spawned = "spawned";
    public const string Failed = "failed";

    /// <summary>Nothing to do: not reserved, already started, or a concurrent delivery won.</summary>
    public const string Skipped = "skipped";
}

/// <summary>Values of <see cref="TelemetryNames.Approver"/>.</summary>
public static class Approvers
{
    public const string AdminApi = "admin_api";
    public const string Device = "device";
    public const string System = "system";
}
