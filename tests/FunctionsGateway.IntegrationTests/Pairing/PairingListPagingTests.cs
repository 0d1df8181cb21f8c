using System.Text.Json;
using FunctionsGateway.Client;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Hosting;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;
using Microsoft.AspNetCore.Http;

namespace FunctionsGateway.IntegrationTests.Pairing;

/// <summary><c>device.pair.list</c> and <c>GET admin/pairing</c> are paged: <c>limit</c> and an opaque <c>next</c> (docs/protocol.md §4.5).</summary>
public sealed class PairingListPagingTests(PrivatePairingStorage storage) : IClassFixture<PrivatePairingStorage>
{
    private static readonly string[] Read = [OperatorScopes.Read];

    [Fact]
    public async Task Following_next_walks_every_pending_request_and_paired_device_exactly_once()
    {
        await using var gw = await storage.StartGatewayAsync();
        var (admin, pendingIds, pairedIds) = await PopulateAsync(gw, pending: 7, pairedReaders: 4);

        var pages = new List<JsonElement>();
        object parameters = new { limit = 3 };
        while (true)
        {
            var page = await gw.CallAsync(admin, GatewayMethods.DevicePairList, parameters);
            Assert.True(page.Response.Ok, GatewayHarness.Describe(page.Response));
            pages.Add(GatewayHarness.Json(page.Response.Payload));
            if (!pages[^1].TryGetProperty("next", out var next))
            {
                break;
            }

            parameters = new { limit = 3, next = next.GetString() };
        }

        Assert.Equal(3, pages.Count);
        Assert.All(pages, p => Assert.InRange(p.GetProperty("pending").GetArrayLength() + p.GetProperty("paired").GetArrayLength(), 1, 6));
        var listedPending = pages.SelectMany(p => p.GetProperty("pending").EnumerateArray()).Select(r => r.GetProperty("requestId").GetString()!).ToList();
        var listedPaired = pages.SelectMany(p => p.GetProperty("paired").EnumerateArray()).Select(d => d.GetProperty("deviceId").GetString()!).ToList();
        Assert.Equal(pendingIds.Order(), listedPending.Order());
        Assert.Equal(pairedIds.Order(), listedPaired.Order());
    }

    [Fact]
    public async Task Without_params_the_first_page_holds_everything_up_to_the_default_and_no_next()
    {
        await using var gw = await storage.StartGatewayAsync();
        var (admin, pendingIds, pairedIds) = await PopulateAsync(gw, pending: 3, pairedReaders: 2);

        var all = GatewayHarness.Json((await gw.CallAsync(admin, GatewayMethods.DevicePairList)).Response.Payload);

        Assert.Equal(3, all.GetProperty("pending").GetArrayLength());
        Assert.Equal(pairedIds.Count, all.GetProperty("paired").GetArrayLength());
        Assert.False(all.TryGetProperty("next", out _));

        gw.Time.Advance(TimeSpan.FromMinutes(6));
        var later = GatewayHarness.Json((await gw.CallAsync(admin, GatewayMethods.DevicePairList)).Response.Payload);
        Assert.Equal(0, later.GetProperty("pending").GetArrayLength());
    }

    [Fact]
    public async Task A_caller_without_admin_pages_pending_requests_but_sees_only_itself_among_paired_devices()
    {
        await using var gw = await storage.StartGatewayAsync();
        await PopulateAsync(gw, pending: 2, pairedReaders: 3);
        using var pairer = DeviceKey.Generate();
        await gw.PairAsync(pairer, [OperatorScopes.Pairing]);
        var connection = (await gw.ConnectAsync(pairer, [OperatorScopes.Pairing])).ConnectionId;

        var page = GatewayHarness.Json((await gw.CallAsync(connection, GatewayMethods.DevicePairList, new { limit = 1 })).Response.Payload);

        Assert.Equal(pairer.DeviceId, Assert.Single(page.GetProperty("paired").EnumerateArray()).GetProperty("deviceId").GetString());
        Assert.Single(page.GetProperty("pending").EnumerateArray());
        var second = GatewayHarness.Json((await gw.CallAsync(connection, GatewayMethods.DevicePairList,
            new { limit = 1, next = page.GetProperty("next").GetString() })).Response.Payload);
        Assert.Single(second.GetProperty("pending").EnumerateArray());
        Assert.Empty(second.GetProperty("paired").EnumerateArray());
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(501, null)]
    [InlineData(null, "not-a-position")]
    [InlineData(null, "MXwtfC0")]
    public async Task A_limit_out_of_range_or_a_position_the_gateway_never_issued_is_invalid_params(int? limit, string? next)
    {
        await using var gw = await storage.StartGatewayAsync();
        var (admin, _, _) = await PopulateAsync(gw, pending: 1, pairedReaders: 0);

        var result = await gw.CallAsync(admin, GatewayMethods.DevicePairList, new { limit, next });

        Assert.Equal(DetailCodes.InvalidParams, result.DetailCode());
    }

    [Fact]
    public async Task The_admin_api_pages_with_query_parameters_and_refuses_a_bad_one_with_400()
    {
        await using var gw = await storage.StartGatewayAsync();
        var (_, pendingIds, _) = await PopulateAsync(gw, pending: 5, pairedReaders: 0);
        var endpoint = new AdminPairingEndpoint(gw.Get<PairingPaging>(), gw.Pairing);

        var listed = new List<string>();
        string? next = null;
        var pages = 0;
        do
        {
            var reply = await endpoint.ListAsync(Request("?limit=2" + (next is null ? string.Empty : "&next=" + Uri.EscapeDataString(next))), default);
            Assert.Equal(200, reply.Status);
            var body = JsonDocument.Parse(reply.Body).RootElement;
            listed.AddRange(body.GetProperty("pending").EnumerateArray().Select(r => r.GetProperty("requestId").GetString()!));
            next = body.TryGetProperty("next", out var n) ? n.GetString() : null;
            pages++;
        }
        while (next is not null);

        Assert.Equal(3, pages);
        Assert.Equal(pendingIds.Order(), listed.Order());
        Assert.Equal(200, (await endpoint.ListAsync(Request(string.Empty), default)).Status);
        foreach (var bad in new[] { "?limit=abc", "?limit=-1", "?limit=0", "?next=%2F%2F" })
        {
            var refused = await endpoint.ListAsync(Request(bad), default);
            Assert.Equal(400, refused.Status);
            Assert.Equal(DetailCodes.InvalidParams, JsonDocument.Parse(refused.Body).RootElement.GetProperty("error").GetProperty("details").GetProperty("code").GetString());
        }
    }

    private static HttpRequest Request(string query) => new DefaultHttpContext { Request = { QueryString = new QueryString(query) } }.Request;

    /// <summary>An admin connection, <paramref name="pending"/> pending requests and <paramref name="pairedReaders"/> paired readers (plus the admin).</summary>
    private static async Task<(string Admin, List<string> PendingIds, List<string> PairedIds)> PopulateAsync(GatewayHarness gw, int pending, int pairedReaders)
    {
        using var adminKey = DeviceKey.Generate();
        await gw.PairAsync(adminKey, [OperatorScopes.Admin]);
        var admin = (await gw.ConnectAsync(adminKey, [OperatorScopes.Admin])).ConnectionId;
        var paired = new List<string> { adminKey.DeviceId };
        for (var i = 0; i < pairedReaders; i++)
        {
            using var key = DeviceKey.Generate();
            await gw.PairAsync(key, Read);
            paired.Add(key.DeviceId);
        }

        var ids = new List<string>();
        for (var i = 0; i < pending; i++)
        {
            using var key = DeviceKey.Generate();
            ids.Add((await gw.ConnectAsync(key, Read)).RequestId);
        }

        return (admin, ids, paired);
    }
}
