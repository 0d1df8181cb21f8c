using System.Buffers;

namespace FunctionsGateway.SignalR.Serverless;

/// <summary>The redirect negotiate result: exactly <c>{"url":"...","accessToken":"..."}</c>.</summary>
/// <param name="Url">Client URL: <c>{ClientEndpoint ?? Endpoint}/client/?hub={hub}</c>, port kept.</param>
/// <param name="AccessToken">The client JWT.</param>
public sealed record NegotiateResponse(string Url, string AccessToken)
{
    /// <summary>
    /// Writes <c>{"url":"...","accessToken":"..."}</c> and nothing else: extra properties such as
    /// <c>connectionId:null</c> have broken clients.
    /// </summary>
    public void WriteJson(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var scratch = JsonScratch.Rent();
        try
        {
            var w = scratch.WriterFor(output);
            w.WriteStartObject();
            w.WriteString("url"u8, Url);
            w.WriteString("accessToken"u8, AccessToken);
            w.WriteEndObject();
            w.Flush();
        }
        finally
        {
            JsonScratch.Return(scratch);
        }
    }

    /// <summary>The JSON body as UTF-8 bytes.</summary>
    public byte[] ToJsonUtf8Bytes()
    {
        var buffer = new ArrayBufferWriter<byte>(Url.Length + AccessToken.Length + 32);
        WriteJson(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Omits the token so it never lands in logs.</summary>
    public override string ToString() => $"NegotiateResponse {{ Url = {Url} }}";
}
