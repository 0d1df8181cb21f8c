using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Hosting;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;
using FunctionsGateway.SignalR.Serverless;
using FunctionsGateway.Tests.SignalR.Serverless;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.IntegrationTests.Hosting;

/// <summary>
/// The upstream under Microsoft Entra ID: a keyless service sends no signature but its managed identity's bearer token.
/// Each request is a <c>connect.challenge</c> that, once let in, is answered 200 and stores a challenge row; a refused
/// one must be a 401 that made no storage request at all.
/// </summary>
public sealed class UpstreamBearerEndpointTests
{
    private const string AccessKey = "upstream-bearer-test-access-key-0123456789";

    [Fact]
    public async Task A_valid_bearer_token_without_a_signature_is_let_in_and_dispatched()
    {
        await using var issuer = await LocalOpenIdIssuer.StartAsync();
        await using var gw = await Gateway(issuer, accessKeys: []);
        var connectionId = GatewayHarness.NewConnectionId();

        var reply = await PostAsync(gw, connectionId, bearer: issuer.Mint());

        Assert.Equal(200, reply.Status);
        // The challenge is stateless: the nonce it answers is the proof that the call was dispatched.
        Assert.False(string.IsNullOrEmpty(Result(reply).GetProperty("payload").GetProperty("nonce").GetString()));
    }

    [Theory]
    [InlineData(TokenDefect.WrongAudience, "wrong audience")]
    [InlineData(TokenDefect.WrongIssuer, "wrong issuer")]
    [InlineData(TokenDefect.Expired, "expired")]
    [InlineData(TokenDefect.AlgNone, "wrong algorithm")]
    [InlineData(TokenDefect.UnknownKey, "unknown signing key")]
    [InlineData(TokenDefect.ForgedSignature, "bad signature")]
    [InlineData(TokenDefect.NoOid, "no oid")]
    [InlineData(TokenDefect.AnotherOid, "another oid")]
    public async Task A_bad_token_is_401_nothing_is_dispatched_and_the_reason_is_logged_without_the_token(TokenDefect defect, string reason)
    {
        await using var issuer = await LocalOpenIdIssuer.StartAsync();
        await using var gw = await Gateway(issuer, accessKeys: []);
        var connectionId = GatewayHarness.NewConnectionId();
        var token = issuer.Defective(defect);

        var reply = await PostAsync(gw, connectionId, bearer: token);

        await AssertRefusedAsync(gw, connectionId, reply);
        var line = Assert.Single(gw.Logs.Entries, e => e.EventId.Id == 500);
        Assert.Equal(LogLevel.Warning, line.Level);
        Assert.Contains("token: " + reason + " ", line.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(gw.Logs.Entries, e => e.Message.Contains(token.Split('.')[1], StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_request_with_neither_signature_nor_token_is_401_and_nothing_is_dispatched()
    {
        await using var issuer = await LocalOpenIdIssuer.StartAsync();
        await using var gw = await Gateway(issuer, accessKeys: []);
        var connectionId = GatewayHarness.NewConnectionId();

        var reply = await PostAsync(gw, connectionId);

        await AssertRefusedAsync(gw, connectionId, reply);
        Assert.Contains("no signature or token", Assert.Single(gw.Logs.Entries, e => e.EventId.Id == 500).Message, StringComparison.Ordinal);
        Assert.Equal(0, issuer.MetadataFetches);
    }

    [Fact]
    public async Task With_an_access_key_a_valid_signature_passes_without_any_bearer_work()
    {
        await using var issuer = await LocalOpenIdIssuer.StartAsync();
        await using var gw = await Gateway(issuer, accessKeys: [AccessKey]);
        var connectionId = GatewayHarness.NewConnectionId();

        var reply = await PostAsync(gw, connectionId, signature: UpstreamSignature.Compute(AccessKey, connectionId), bearer: issuer.Defective(TokenDefect.Expired));

        Assert.Equal(200, reply.Status);
        Assert.True(Result(reply).GetProperty("ok").GetBoolean());
        Assert.Equal(0, issuer.MetadataFetches);
    }

    [Fact]
    public async Task With_an_access_key_a_wrong_signature_still_gets_in_with_a_valid_token_and_not_with_a_bad_one()
    {
        await using var issuer = await LocalOpenIdIssuer.StartAsync();
        await using var gw = await Gateway(issuer, accessKeys: [AccessKey]);
        var refused = GatewayHarness.NewConnectionId();
        var wrongSignature = UpstreamSignature.Compute("not-the-access-key", refused);

        await AssertRefusedAsync(gw, refused, await PostAsync(gw, refused, signature: wrongSignature, bearer: issuer.Defective(TokenDefect.AnotherOid)));
        Assert.Contains("bad signature; token: another oid", Assert.Single(gw.Logs.Entries, e => e.EventId.Id == 500).Message, StringComparison.Ordinal);

        var admitted = GatewayHarness.NewConnectionId();
        Assert.Equal(200, (await PostAsync(gw, admitted, signature: UpstreamSignature.Compute("not-the-access-key", admitted), bearer: issuer.Mint())).Status);
    }

    [Fact]
    public async Task With_an_access_key_and_no_upstream_settings_a_token_alone_is_401()
    {
        await using var issuer = await LocalOpenIdIssuer.StartAsync();
        await using var gw = await Gateway(issuer, accessKeys: [AccessKey], bearerSettings: false);
        var connectionId = GatewayHarness.NewConnectionId();

        var reply = await PostAsync(gw, connectionId, bearer: issuer.Mint());

        await AssertRefusedAsync(gw, connectionId, reply);
        Assert.Equal("invalid or missing X-ASRS-Signature", Encoding.UTF8.GetString(reply.Body.Span));
        Assert.Equal(0, issuer.MetadataFetches);
    }

    /// <summary>
    /// The harness with the upstream endpoint wired as <see cref="GatewayServiceCollectionExtensions.AddGateway"/> wires
    /// it (<see cref="UpstreamAuthServiceCollectionExtensions.AddUpstreamAuthentication"/> from settings), and the
    /// SignalR options made directly: with <paramref name="accessKeys"/> empty, the identity-based (keyless) mode.
    /// </summary>
    private static async Task<GatewayHarness> Gateway(LocalOpenIdIssuer issuer, string[] accessKeys, bool bearerSettings = true)
    {
        var settings = new Dictionary<string, string?>();
        if (bearerSettings)
        {
            settings[SettingNames.ConfigKey(SettingNames.UpstreamMetadataAddress)] = issuer.MetadataAddress.AbsoluteUri;
            settings[SettingNames.ConfigKey(SettingNames.UpstreamAudience)] = LocalOpenIdIssuer.Audience;
            settings[SettingNames.ConfigKey(SettingNames.UpstreamPrincipalId)] = LocalOpenIdIssuer.PrincipalId.ToString();
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var gw = await GatewayHarness.StartAsync(services =>
        {
            services.AddSingleton(new SignalRServiceOptions
            {
                Connection = SignalRConnectionString.Parse(SignalRConnectionString.Emulator),
                AccessKeys = accessKeys,
            });
            services.AddUpstreamAuthentication(configuration);
            services.AddSingleton<ConnectionCloseScheduler>();
            services.AddSingleton<UpstreamEndpoint>();
        });
        gw.StorageRequests.Clear();
        return gw;
    }

    private static async Task<HttpReply> PostAsync(GatewayHarness gw, string connectionId, string? signature = null, string? bearer = null)
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = "POST";
        request.Headers[UpstreamHeaders.ConnectionIdHeader] = connectionId;
        request.Headers[UpstreamHeaders.HubHeader] = GatewayProtocol.Hub;
        request.Headers[UpstreamHeaders.CategoryHeader] = "messages";
        request.Headers[UpstreamHeaders.EventHeader] = GatewayProtocol.RequestTarget;
        if (signature is not null)
        {
            request.Headers[UpstreamHeaders.SignatureHeader] = signature;
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = "Bearer " + bearer;
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            type = 1, invocationId = "1", target = GatewayProtocol.RequestTarget, arguments = new object[] { new { method = GatewayMethods.ConnectChallenge } },
        });
        request.ContentType = "application/json";
        request.ContentLength = body.Length;
        request.Body = new MemoryStream(body);
        return await gw.Get<UpstreamEndpoint>().HandleAsync(request, CancellationToken.None);
    }

    /// <summary>A 401, and not one storage request: nothing was dispatched, no row written, no event sent.</summary>
    private static async Task AssertRefusedAsync(GatewayHarness gw, string connectionId, HttpReply reply)
    {
        Assert.Equal(401, reply.Status);
        Assert.Empty(gw.StorageRequests.Requests);
        Assert.Empty(gw.Notifier.Events);
        Assert.Empty(gw.Notifier.Admitted);
        Assert.False((await gw.Tables.Connections.GetEntityIfExistsAsync<TableEntity>(connectionId, "")).HasValue);
    }

    private static JsonElement Result(HttpReply reply)
    {
        Assert.Equal(0x1E, reply.Body.Span[^1]);
        using var completion = JsonDocument.Parse(reply.Body[..^1]);
        return completion.RootElement.GetProperty("result").Clone();
    }
}
