using BenchmarkDotNet.Attributes;
using FunctionsGateway.Core.Authorization;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Benchmarks;

/// <summary>docs/protocol.md §9: the authorization decision under 100 ns with no allocation.</summary>
[MemoryDiagnoser]
public class AuthorizationBenchmarks
{
    private readonly string readMethod = string.Concat("sessions.", "list");
    private readonly string unknownMethod = string.Concat("no.such.", "method");
    private readonly string configMethod = string.Concat("config.", "set");

    [Benchmark(Baseline = true)]
    public AuthorizationDecision Read_method_allowed() => MethodAuthorizer.Authorize(GatewayRole.Operator, ScopeSet.Write, readMethod);

    [Benchmark]
    public AuthorizationDecision Unknown_method_denied() => MethodAuthorizer.Authorize(GatewayRole.Operator, ScopeSet.Read, unknownMethod);

    [Benchmark]
    public AuthorizationDecision Config_prefix_admin() => MethodAuthorizer.Authorize(GatewayRole.Operator, ScopeSet.Admin, configMethod);
}
