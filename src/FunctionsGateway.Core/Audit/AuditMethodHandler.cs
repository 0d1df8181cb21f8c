using System.Text.Json.Serialization;
using FunctionsGateway.Core.Methods;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Audit;

public sealed class AuditMethodHandler(AuditLog audit) : IMethodHandler
{
    public IReadOnlyCollection<string> Methods { get; } = [GatewayMethods.AuditList];

    public async Task<GatewayResponse> HandleAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var p = context.Bind<AuditQuery>();
        if (p.Limit is < 1 or > 500 || p.Days is < 1 or > 90)
        {
            throw new InvalidParamsException("limit must be 1..500 and days 1..90");
        }

        if (p.Action is { } action && !AuditActions.All.Contains(action))
        {
            throw new InvalidParamsException("action must be one of " + string.Join(", ", AuditActions.All.Order(StringComparer.Ordinal)));
        }

        if (p.DeviceId is { } deviceId && !DeviceIdentity.IsDeviceId(deviceId))
        {
            throw new InvalidParamsException("deviceId must be 64 lowercase hex characters");
        }

        var entries = await audit.ListAsync(p.Limit, p.DeviceId, p.Days, cancellationToken, p.Action);
        return GatewayResponse.Success(new { entries });
    }

    private sealed class AuditQuery
    {
        [JsonPropertyName("limit")] public int Limit { get; set; } = 100;
        [JsonPropertyName("days")] public int Days { get; set; } = 7;
        [JsonPropertyName("deviceId")] public string? DeviceId { get; set; }
        [JsonPropertyName("action")] public string? Action { get; set; }
    }
}
