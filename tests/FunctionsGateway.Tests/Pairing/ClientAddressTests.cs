using System.Net;
using FunctionsGateway.Core.Pairing;

namespace FunctionsGateway.Tests.Pairing;

/// <summary>The address a pending request is counted under, carried from negotiate to every message in the user id.</summary>
public sealed class ClientAddressTests
{
    [Theory]
    [InlineData("203.0.113.7", "v4-203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "v4-203.0.113.7")]
    [InlineData("2001:db8:7:8::1", "v6-20010db800070008")]
    [InlineData("2001:db8:7:8:ffff:1:2:3", "v6-20010db800070008")]
    public void An_ipv4_address_is_its_own_key_and_an_ipv6_address_counts_under_its_slash_64(string address, string key)
        => Assert.Equal(key, ClientAddress.Key(IPAddress.Parse(address)));

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.8.9.10")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    public void Loopback_and_unspecified_addresses_tell_clients_apart_no_better_than_the_gateway_cap_and_have_no_key(string address)
        => Assert.Null(ClientAddress.Key(IPAddress.Parse(address)));

    [Fact]
    public void A_user_id_negotiate_issues_carries_the_key_back_and_is_fresh_each_time()
    {
        var first = ClientAddress.NewUserId(IPAddress.Parse("198.51.100.4"));
        var second = ClientAddress.NewUserId(IPAddress.Parse("198.51.100.4"));

        Assert.NotEqual(first, second);
        Assert.Equal("v4-198.51.100.4", ClientAddress.FromUserId(first));
        Assert.Null(ClientAddress.FromUserId(ClientAddress.NewUserId(IPAddress.Loopback)));
        Assert.Null(ClientAddress.FromUserId(ClientAddress.NewUserId(null)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("someone")]
    [InlineData("anon-0123456789abcdef0123456789abcdef")]
    [InlineData("anon-0123456789abcdef0123456789abcdef@")]
    [InlineData("anon-0123456789abcdef0123456789abcdef@v4-999.1.2.3")]
    [InlineData("anon-0123456789abcdef0123456789abcdef@v4-01.2.3.4")]
    [InlineData("anon-0123456789abcdef0123456789abcdef@v6-20010DB800070008")]
    [InlineData("anon-0123456789abcdef0123456789abcdef@v6-20010db8")]
    [InlineData("anon-0123456789abcdef0123456789abcdef@addr:x/y")]
    [InlineData("anon-0123456789abcdef0123456789abcde@v4-1.2.3.4")]
    [InlineData("anon-0123456789abcdef0123456789abcdeg@v4-1.2.3.4")]
    public void A_user_id_not_in_negotiates_form_has_no_key(string? userId)
        => Assert.Null(ClientAddress.FromUserId(userId));
}
