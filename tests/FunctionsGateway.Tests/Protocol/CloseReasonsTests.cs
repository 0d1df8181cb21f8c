using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Core.SubAgents;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Tests.Protocol;

/// <summary>A close reaches a client as text only (the service's REST close always allows a reconnect): the text is the contract.</summary>
public sealed class CloseReasonsTests
{
    public static TheoryData<string, CloseDisposition> GatewayCloses => new()
    {
        { GatewayProtocol.PairingRequiredCloseReason, CloseDisposition.ReconnectWhenApproved },
        { DeviceTokenService.RotatedCloseReason, CloseDisposition.ReconnectNow },
        { DeviceTokenService.RevokedCloseReason, CloseDisposition.DoNotReconnect },
        { DeviceRemoval.RemovedCloseReason, CloseDisposition.DoNotReconnect },
        { SubAgentCompletion.EndedCloseReason, CloseDisposition.DoNotReconnect },
    };

    [Theory]
    [MemberData(nameof(GatewayCloses))]
    public void Every_reason_the_gateway_closes_with_tells_the_client_what_to_do(string reason, CloseDisposition expected)
    {
        Assert.Equal(expected, CloseReasons.Classify(reason));
        Assert.True(CloseReasons.All.ContainsKey(reason), $"'{reason}' is sent by the gateway but missing from CloseReasons.All");
    }

    [Fact]
    public void The_javascript_clients_wording_of_a_close_is_understood_too()
    {
        Assert.Equal(CloseDisposition.DoNotReconnect, CloseReasons.Classify("Server returned an error on close: device removed"));
        Assert.Equal(CloseDisposition.ReconnectWhenApproved, CloseReasons.Classify("Server returned an error on close: pairing required"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("WebSocket closed with status code: 1006")]
    [InlineData("Device Removed")]
    public void Anything_else_is_a_transient_drop_worth_a_reconnect_with_backoff(string? reason)
        => Assert.Equal(CloseDisposition.Reconnect, CloseReasons.Classify(reason));
}
