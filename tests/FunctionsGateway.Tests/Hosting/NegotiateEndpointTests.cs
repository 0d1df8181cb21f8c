using System.Net;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Hosting;
using FunctionsGateway.SignalR.Serverless;
using FunctionsGateway.Tests.SignalR.Serverless;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace FunctionsGateway.Tests.Hosting;

/// <summary>Negotiate writes the caller's address into the token's user id, which the service repeats with every message.</summary>
public sealed class NegotiateEndpointTests
{
    private static readonly NegotiateEndpoint Endpoint = new(
        new NegotiateResponseFactory(SignalRConnectionString.Parse(SignalRConnectionString.Emulator), null, new FixedTimeProvider(DateTimeOffset.UtcNow)),
        NullLogger<NegotiateEndpoint>.Instance);

    [Theory]
    [InlineData("203.0.113.50", "v4-203.0.113.50")]
    [InlineData("2001:db8:aa:bb::9", "v6-20010db800aa00bb")]
    [InlineData("127.0.0.1", null)]
    public async Task The_user_id_carries_the_address_key_negotiate_saw(string remote, string? key)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(remote);

        var reply = await Endpoint.HandleAsync(context.Request, CancellationToken.None);

        var token = System.Text.Json.JsonDocument.Parse(reply.Body).RootElement.GetProperty("accessToken").GetString()!;
        var userId = Jwt.Payload(token).GetProperty(SignalRClaimTypes.UserId).GetString();
        Assert.StartsWith("anon-", userId, StringComparison.Ordinal);
        Assert.Equal(key, ClientAddress.FromUserId(userId));
    }
}
