using System.Text;
using FunctionsGateway.SignalR.Serverless;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace FunctionsGateway.Tests.SignalR.Serverless;

public class UpstreamHeadersTests
{
    private static HeaderDictionary Headers(string category = "messages", string @event = "req") => new()
    {
        ["X-ASRS-Connection-Id"] = "conn-1",
        ["X-ASRS-Hub"] = "gateway",
        ["X-ASRS-Category"] = category,
        ["X-ASRS-Event"] = @event,
        ["X-ASRS-User-Id"] = "device:abc",
        ["X-ASRS-Signature"] = "sha256=AA,sha256=BB",
        ["Content-Type"] = "application/x-msgpack",
    };

    [Fact]
    public void All_upstream_headers_are_read_from_a_header_dictionary()
    {
        var headers = UpstreamHeaders.From(Headers());

        Assert.Equal("conn-1", headers.ConnectionId);
        Assert.Equal("gateway", headers.Hub);
        Assert.Equal("messages", headers.Category);
        Assert.Equal(UpstreamCategory.Messages, headers.CategoryKind);
        Assert.Equal("req", headers.Event);
        Assert.Equal("device:abc", headers.UserId);
        Assert.Equal("sha256=AA,sha256=BB", headers.Signature);
        Assert.Equal("application/x-msgpack", headers.ContentType);
        Assert.True(headers.HasRequiredHeaders);
    }

    [Fact]
    public void Headers_are_read_from_an_http_request_case_insensitively()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers["x-asrs-connection-id"] = "c";
        context.Request.Headers["x-asrs-hub"] = "GATEWAY";
        context.Request.Headers["x-asrs-category"] = "Connections";
        context.Request.Headers["x-asrs-event"] = "Connected";
        context.Request.ContentType = "application/json";

        var headers = UpstreamHeaders.From(context.Request);

        Assert.Equal("c", headers.ConnectionId);
        Assert.True(headers.IsHub("gateway"));
        Assert.Equal(UpstreamCategory.Connections, headers.CategoryKind);
        Assert.True(headers.IsConnectedEvent);
        Assert.False(headers.IsDisconnectedEvent);
        Assert.Null(headers.UserId);
        Assert.True(headers.TryGetProtocol(out var protocol));
        Assert.Equal(HubProtocolKind.Json, protocol);
    }

    [Fact]
    public void Signature_header_values_are_joined_with_commas()
    {
        var dictionary = Headers();
        dictionary["X-ASRS-Signature"] = new StringValues(["sha256=AA", "sha256=BB"]);

        Assert.Equal("sha256=AA,sha256=BB", UpstreamHeaders.From(dictionary).Signature);
    }

    [Theory]
    [InlineData("X-ASRS-Connection-Id")]
    [InlineData("X-ASRS-Hub")]
    [InlineData("X-ASRS-Category")]
    [InlineData("X-ASRS-Event")]
    public void A_missing_required_header_is_detected(string name)
    {
        var dictionary = Headers();
        dictionary.Remove(name);

        Assert.False(UpstreamHeaders.From(dictionary).HasRequiredHeaders);
    }

    [Fact]
    public void A_repeated_single_value_header_counts_as_missing()
    {
        var dictionary = Headers();
        dictionary["X-ASRS-Connection-Id"] = new StringValues(["a", "b"]);

        Assert.Null(UpstreamHeaders.From(dictionary).ConnectionId);
    }

    [Theory]
    [InlineData("connections", UpstreamCategory.Connections)]
    [InlineData("CONNECTIONS", UpstreamCategory.Connections)]
    [InlineData("Messages", UpstreamCategory.Messages)]
    [InlineData("other", UpstreamCategory.Unknown)]
    public void Category_is_parsed_without_case(string value, UpstreamCategory expected)
    {
        Assert.Equal(expected, UpstreamHeaders.From(Headers(category: value)).CategoryKind);
    }

    [Fact]
    public void Disconnected_event_is_recognised()
    {
        Assert.True(UpstreamHeaders.From(Headers("connections", "disconnected")).IsDisconnectedEvent);
        Assert.False(UpstreamHeaders.From(Headers("messages", "disconnected")).IsDisconnectedEvent);
    }

    [Fact]
    public void Hub_matching_ignores_case()
    {
        Assert.True(UpstreamHeaders.From(Headers()).IsHub("GateWay"));
        Assert.False(UpstreamHeaders.From(Headers()).IsHub("other"));
    }

    [Theory]
    [InlineData("application/json", true, HubProtocolKind.Json)]
    [InlineData("application/json; charset=utf-8", true, HubProtocolKind.Json)]
    [InlineData("Application/X-MsgPack", true, HubProtocolKind.MessagePack)]
    [InlineData("text/plain", false, HubProtocolKind.Json)]
    [InlineData("application/jsonx", false, HubProtocolKind.Json)]
    [InlineData("", false, HubProtocolKind.Json)]
    [InlineData(null, false, HubProtocolKind.Json)]
    public void Protocol_comes_from_the_content_type(string? contentType, bool supported, HubProtocolKind expected)
    {
        Assert.Equal(supported, HubProtocolContentType.TryParse(contentType, out var protocol));
        if (supported)
        {
            Assert.Equal(expected, protocol);
            Assert.Equal(contentType!.Split(';')[0].ToLowerInvariant(), HubProtocolContentType.ToContentType(protocol));
        }
    }

    [Fact]
    public void User_claims_are_parsed_from_joined_and_repeated_header_values()
    {
        var dictionary = Headers();
        dictionary["X-ASRS-User-Claims"] = new StringValues(["role: operator, scope: a, b", "nameid: device:abc"]);

        var claims = UpstreamHeaders.From(dictionary).ParseUserClaims();

        KeyValuePair<string, string>[] expected = [new("role", "operator"), new("scope", "a, b"), new("nameid", "device:abc")];
        Assert.Equal(expected, claims);
    }

    [Fact]
    public void Absent_user_claims_parse_to_an_empty_list()
    {
        Assert.Empty(UpstreamHeaders.From(Headers()).ParseUserClaims());
    }

    [Theory]
    [InlineData("{\"type\":10}", 10, null)]
    [InlineData("{\"Type\":10}", 10, null)]
    [InlineData("{\"type\":11,\"error\":\"transport closed\"}", 11, "transport closed")]
    [InlineData("{\"Type\":11,\"Error\":\"boom\"}", 11, "boom")]
    [InlineData("{\"type\":11,\"error\":\"\"}", 11, null)]
    [InlineData("{\"type\":11,\"error\":null,\"extra\":[1]}", 11, null)]
    [InlineData("{\"type\":10}\u001e", 10, null)]
    public void Connection_event_bodies_are_parsed(string body, int type, string? error)
    {
        Assert.True(UpstreamConnectionMessage.TryParse(Encoding.UTF8.GetBytes(body), out var message, out var parseError), parseError);
        Assert.Equal(type, message.Type);
        Assert.Equal(error, message.Error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("{\"type\":\"10\"}")]
    [InlineData("{\"type\":10}{\"type\":11}")]
    [InlineData("{\"type\":10.5}")]
    public void Malformed_connection_event_bodies_are_rejected_without_throwing(string body)
    {
        Assert.False(UpstreamConnectionMessage.TryParse(Encoding.UTF8.GetBytes(body), out var message, out var error));
        Assert.Null(message);
        Assert.NotEmpty(error);
    }
}
