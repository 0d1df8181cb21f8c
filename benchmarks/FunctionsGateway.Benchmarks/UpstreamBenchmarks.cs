using System.Buffers;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using FunctionsGateway.Core.Authorization;
using FunctionsGateway.SignalR.Serverless;
using FunctionsGateway.Hosting;
using FunctionsGateway.Protocol;
using MessagePack;

namespace FunctionsGateway.Benchmarks;

/// <summary>
/// docs/protocol.md §9: parse an upstream invocation, authorize it and frame its completion, under 5 µs for a small call.
/// Storage and the handler itself are excluded: this is the per-call protocol work the gateway adds.
/// </summary>
[MemoryDiagnoser]
public class UpstreamBenchmarks
{
    private static readonly GatewayResponse StatusResponse = GatewayResponse.Success(new
    {
        server = new { version = "1.0.0", protocol = 3 },
        connection = new { connectionId = "c-0123456789", deviceId = new string('a', 64), role = "operator", scopes = new[] { "operator.read" } },
        ts = 1795910400000L,
    });

    private readonly byte[] jsonBody = Encoding.UTF8.GetBytes("{\"type\":1,\"invocationId\":\"42\",\"target\":\"req\",\"arguments\":[{\"method\":\"sessions.list\",\"params\":{\"limit\":20}}]}");
    private readonly byte[] msgpackBody = MessagePackBody();
    private readonly ArrayBufferWriter<byte> output = new(1024);

    [Benchmark(Baseline = true)]
    public int Json_parse_authorize_frame() => Run(jsonBody, HubProtocolKind.Json);

    [Benchmark]
    public int MessagePack_parse_authorize_frame() => Run(msgpackBody, HubProtocolKind.MessagePack);

    private int Run(byte[] body, HubProtocolKind protocol)
    {
        HubInvocationReader.TryRead(body, protocol, out var invocation, out _);
        UpstreamEndpoint.TryReadRequest(invocation!.Arguments, out var request, out _);
        var decision = MethodAuthorizer.Authorize(GatewayRole.Operator, ScopeSet.Read, request.Method);
        output.ResetWrittenCount();
        HubCompletionWriter.WriteResult(output, protocol, invocation.InvocationId!, JsonSerializer.SerializeToUtf8Bytes(StatusResponse, GatewayJson.Options));
        return output.WrittenCount + (decision.IsAllowed ? 1 : 0);
    }

    private static byte[] MessagePackBody()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(6);
        writer.Write(1);
        writer.WriteMapHeader(0);
        writer.Write("42");
        writer.Write("req");
        writer.WriteArrayHeader(1);
        writer.WriteMapHeader(2);
        writer.Write("method");
        writer.Write("sessions.list");
        writer.Write("params");
        writer.WriteMapHeader(1);
        writer.Write("limit");
        writer.Write(20);
        writer.WriteArrayHeader(0);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
