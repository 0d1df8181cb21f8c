using FunctionsGateway.Protocol;

namespace FunctionsGateway.Tests.Protocol;

public sealed class Base64UrlTests
{
    [Theory]
    [InlineData("AAEC")]
    [InlineData("_-8")]
    public void The_canonical_spelling_decodes(string text) => Assert.True(Base64Url.TryDecode(text, out _));

    [Theory]
    [InlineData("AAEC ")]
    [InlineData(" AAEC")]
    [InlineData("AA\nEC")]
    [InlineData("AAE=")]
    [InlineData("AA+/")]
    public void Another_spelling_of_the_same_bytes_is_refused(string text)
    {
        // The framework's decoder skips white space and accepts padding: a key with a trailing space would be the
        // same key under a different string, and so a different device to a string comparison.
        Assert.False(Base64Url.TryDecode(text, out var bytes));
        Assert.Empty(bytes);
    }
}
