using System.Text.Json;
using FunctionsGateway.Client;
using FunctionsGateway.Protocol;
using Microsoft.AspNetCore.SignalR;

namespace FunctionsGateway.Tests.Client;

public sealed class GatewayResponseTests
{
    private const string NotPairedResponse = """
        {
          "ok": false,
          "error": {
            "code": "NOT_PAIRED",
            "message": "pairing required",
            "details": {
              "code": "PAIRING_REQUIRED",
              "requestId": "3f1c0a9e8b7d4c2a9e1f0b6d5c4a3b2e",
              "reason": "scope-upgrade",
              "requestedRole": "operator",
              "requestedScopes": ["operator.read", "operator.write"],
              "approvedScopes": ["operator.read"]
            }
          }
        }
        """;

    [Fact]
    public void A_NOT_PAIRED_response_becomes_a_PairingRequiredException_with_every_detail()
    {
        var error = Assert.Throws<PairingRequiredException>(() => GatewayException.Unwrap(JsonAssert.Parse(NotPairedResponse)));

        Assert.Equal(ErrorCodes.NotPaired, error.Code);
        Assert.Equal(DetailCodes.PairingRequired, error.DetailCode);
        Assert.Equal("pairing required", error.Message);
        Assert.Equal("3f1c0a9e8b7d4c2a9e1f0b6d5c4a3b2e", error.RequestId);
        Assert.Equal(PairingReasons.ScopeUpgrade, error.Reason);
        Assert.Equal("operator", error.RequestedRole);
        Assert.Equal(["operator.read", "operator.write"], error.RequestedScopes);
        Assert.Equal(["operator.read"], error.ApprovedScopes);
        Assert.Equal("3f1c0a9e8b7d4c2a9e1f0b6d5c4a3b2e", error.Details!.Value.GetProperty("requestId").GetString());
    }

    [Fact]
    public void Other_errors_keep_their_code_detail_code_message_and_details()
    {
        var response = JsonAssert.Parse("""
            {"ok": false, "error": {"code": "INVALID_REQUEST", "message": "unauthorized: device token mismatch",
             "details": {"code": "AUTH_DEVICE_TOKEN_MISMATCH", "extra": 1}}}
            """);

        var error = Assert.Throws<GatewayException>(() => GatewayException.Unwrap(response));

        Assert.IsNotType<PairingRequiredException>(error);
        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Equal(DetailCodes.AuthDeviceTokenMismatch, error.DetailCode);
        Assert.Equal("unauthorized: device token mismatch", error.Message);
        Assert.Equal(1, error.Details!.Value.GetProperty("extra").GetInt32());
    }

    [Fact]
    public void An_error_without_details_has_no_detail_code()
    {
        var error = Assert.Throws<GatewayException>(() =>
            GatewayException.Unwrap(JsonAssert.Parse("""{"ok": false, "error": {"code": "UNAVAILABLE", "message": "later"}}""")));

        Assert.Equal(ErrorCodes.Unavailable, error.Code);
        Assert.Null(error.DetailCode);
        Assert.Null(error.Details);
    }

    [Fact]
    public void A_success_returns_the_payload_or_nothing()
    {
        var payload = GatewayException.Unwrap(JsonAssert.Parse("""{"ok": true, "payload": {"status": "ok"}}"""));
        Assert.Equal("ok", payload.GetProperty("status").GetString());

        Assert.Equal(JsonValueKind.Undefined, GatewayException.Unwrap(JsonAssert.Parse("""{"ok": true}""")).ValueKind);
    }

    [Theory]
    [InlineData("""{"payload": 1}""")]
    [InlineData("""{"ok": "yes"}""")]
    [InlineData("""[1]""")]
    [InlineData("""{"ok": false}""")]
    public void A_malformed_response_is_reported_as_a_malformed_frame(string json)
    {
        var error = Assert.Throws<GatewayException>(() => GatewayException.Unwrap(JsonAssert.Parse(json)));
        Assert.Equal(DetailCodes.MalformedFrame, error.DetailCode);
    }

    [Fact]
    public void A_request_without_params_is_just_the_method()
    {
        JsonAssert.Equal(JsonAssert.Parse("""{"method": "connect.challenge"}"""), GatewayConnection.BuildRequest("connect.challenge", null));
    }

    [Fact]
    public void Request_params_use_the_gateway_json_conventions()
    {
        var connect = new ConnectParams
        {
            MinProtocol = 3,
            MaxProtocol = 3,
            Role = "operator",
            Scopes = ["operator.read"],
            Auth = new ConnectAuth { Token = "t" },
        };

        var request = GatewayConnection.BuildRequest("connect", connect);

        JsonAssert.Equal(JsonAssert.Parse("""
            {"method": "connect", "params": {"minProtocol": 3, "maxProtocol": 3, "role": "operator", "scopes": ["operator.read"], "auth": {"token": "t"}}}
            """), request);
    }

    [Fact]
    public void Anonymous_objects_and_json_params_are_sent_as_they_are()
    {
        JsonAssert.Equal(JsonAssert.Parse("""{"method": "m", "params": {"sessionKey": "k", "limit": 5}}"""),
            GatewayConnection.BuildRequest("m", new { sessionKey = "k", limit = 5 }));
        JsonAssert.Equal(JsonAssert.Parse("""{"method": "m", "params": [1, {"a": null}]}"""),
            GatewayConnection.BuildRequest("m", JsonAssert.Parse("""[1, {"a": null}]""")));
    }

    [Fact]
    public void The_close_reason_is_read_from_the_exception_SignalR_reports()
    {
        Assert.Equal("pairing required", GatewayConnection.ReasonOf(new HubException("The server closed the connection with the following error: pairing required")));
        Assert.Equal("socket gone", GatewayConnection.ReasonOf(new IOException("socket gone")));
        Assert.Null(GatewayConnection.ReasonOf(null));
    }

    [Fact]
    public void An_event_frame_is_read_into_a_gateway_event()
    {
        var gatewayEvent = GatewayEvent.FromFrame(JsonAssert.Parse("""
            {"event": "device.pair.resolved", "payload": {"requestId": "r", "deviceId": "d", "decision": "approved", "ts": 5}, "seq": 12}
            """))!;

        Assert.Equal(GatewayEvents.DevicePairResolved, gatewayEvent.Event);
        Assert.Equal(12, gatewayEvent.Seq);
        Assert.Equal("approved", gatewayEvent.PayloadAs<PairResolved>()!.Decision);
        Assert.Null(GatewayEvent.FromFrame(JsonAssert.Parse("""{"payload": 1}""")));
    }

    private sealed record PairResolved(string RequestId, string DeviceId, string Decision, long Ts);
}
