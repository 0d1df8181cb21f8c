using System.Net;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Hosting;
using FunctionsGateway.SignalR.Serverless;
using FunctionsGateway.Tests.SignalR.Serverless;
using Microsoft.AspNetCore.Http;

namespace FunctionsGateway.Tests.Hosting;

/// <summary>Negotiate writes the caller's address into the token's user id, which the service repeats with every message.</summary>
public sealed class NegotiateEndpointTests
{
    private static readonly NegotiateEndpoint Endpoint = new(new NegotiateResponseFactory(
        SignalRConnectionString.Parse(SignalRConnectionString.Emulator), null, new FixedTimeProvider(DateTimeOffset.UtcNow)));

    [Theory]
    [InlineData("203.0.113.50", "v4-203.0.113.50")]
    [InlineData("2001:db8:aa:bb::9", "v6-20010db800aa00bb")]
    [InlineData("127.0.0.1", null)]
    public void The_user_id_carries_the_address_key_negotiate_saw(string remote, string? key)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(remote);

        var reply = Endpoint.Handle(context.Request);

        var token = System.Text.Json.JsonDocument.Parse(reply.Body).RootElement.GetProperty("accessToken").GetString()!;
        var userId = Jwt.Payload(token).GetProperty(SignalRClaimTypes.UserId).GetString();
        Assert.StartsWith("anon-", userId, StringComparison.Ordinal);
        Assert.Equal(key, ClientAddress.FromUserId(userId));
    }
}
