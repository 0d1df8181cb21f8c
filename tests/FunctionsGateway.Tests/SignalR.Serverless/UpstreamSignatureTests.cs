using FunctionsGateway.SignalR.Serverless;

namespace FunctionsGateway.Tests.SignalR.Serverless;

public class UpstreamSignatureTests
{
    public static TheoryData<string, string, string> Vectors()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var (key, connectionId, signature) in SignalRVectors.UpstreamSignatures())
        {
            data.Add(key, connectionId, signature);
        }

        return data;
    }

    [Fact]
    public void Vector_file_has_upstream_signature_vectors()
    {
        Assert.True(SignalRVectors.UpstreamSignatures().Count() >= 2);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Compute_reproduces_the_vector_in_upper_case_hex(string key, string connectionId, string signature)
    {
        Assert.Equal(signature, UpstreamSignature.Compute(key, connectionId));
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Vector_signature_is_accepted_in_upper_and_lower_case(string key, string connectionId, string signature)
    {
        Assert.True(UpstreamSignature.IsValid(signature, connectionId, [key]));
        Assert.True(UpstreamSignature.IsValid(signature.ToLowerInvariant(), connectionId, [key]));
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Wrong_key_is_rejected(string key, string connectionId, string signature)
    {
        Assert.False(UpstreamSignature.IsValid(signature, connectionId, [key + "x"]));
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Wrong_connection_id_is_rejected(string key, string connectionId, string signature)
    {
        Assert.False(UpstreamSignature.IsValid(signature, connectionId + "x", [key]));
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Missing_signature_is_rejected(string key, string connectionId, string signature)
    {
        Assert.NotEmpty(signature);
        Assert.False(UpstreamSignature.IsValid(null, connectionId, [key]));
        Assert.False(UpstreamSignature.IsValid("", connectionId, [key]));
        Assert.False(UpstreamSignature.IsValid(signature, connectionId, []));
        Assert.False(UpstreamSignature.IsValid(signature, null, [key]));
    }

    [Fact]
    public void Multi_entry_header_matches_when_any_entry_matches_any_key()
    {
        var vectors = SignalRVectors.UpstreamSignatures().ToList();
        var (key, connectionId, signature) = vectors[0];
        var other = UpstreamSignature.Compute("rotated-out-key", connectionId);

        Assert.True(UpstreamSignature.IsValid($"{other},{signature}", connectionId, [key]));
        Assert.True(UpstreamSignature.IsValid($"{signature}, {other}", connectionId, ["unrelated", key]));
        Assert.False(UpstreamSignature.IsValid($"{other},{other}", connectionId, [key]));
    }

    [Fact]
    public void Secondary_key_is_accepted()
    {
        var (key, connectionId, signature) = SignalRVectors.UpstreamSignatures().First();

        Assert.True(UpstreamSignature.IsValid(signature, connectionId, ["primary-key", key]));
    }

    [Theory]
    [InlineData("sha256=")]
    [InlineData("sha256=B78B1B6698EF4C26ADACC16537E1940BF816254465275D2DC5CD8BAFEA0506")]
    [InlineData("sha256=B78B1B6698EF4C26ADACC16537E1940BF816254465275D2DC5CD8BAFEA0506E1FF")]
    [InlineData("sha256=ZZ8B1B6698EF4C26ADACC16537E1940BF816254465275D2DC5CD8BAFEA0506E1")]
    [InlineData("B78B1B6698EF4C26ADACC16537E1940BF816254465275D2DC5CD8BAFEA0506E1")]
    [InlineData("md5=B78B1B6698EF4C26ADACC16537E1940BF816254465275D2DC5CD8BAFEA0506E1")]
    [InlineData("sha256=B78B1B6698EF4C26ADACC16537E1940BF816254465275D2DC5CD8BAFEA0506E1,garbage")]
    [InlineData(",,,")]
    [InlineData("   ")]
    public void Malformed_headers_are_rejected(string header)
    {
        Assert.False(UpstreamSignature.IsValid(header, "conn-0001", ["ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"]));
    }

    [Fact]
    public void Headers_with_too_many_entries_are_rejected()
    {
        var (key, connectionId, signature) = SignalRVectors.UpstreamSignatures().First();
        var header = string.Join(",", Enumerable.Repeat(signature, 9));

        Assert.False(UpstreamSignature.IsValid(header, connectionId, [key]));
        Assert.True(UpstreamSignature.IsValid(string.Join(",", Enumerable.Repeat(signature, 2)), connectionId, [key]));
    }
}
