using FunctionsGateway.Core.Runs;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Core.SubAgents;

/// <summary><c>Gateway__SubAgents__*</c>: the spawn limits.</summary>
public sealed class SubAgentOptionsValidator : IValidateOptions<SubAgentOptions>
{
    public ValidateOptionsResult Validate(string? name, SubAgentOptions options)
    {
        var failures = new List<string>();
        RunOptionsValidator.Check(failures, "Gateway__SubAgents__MaxDepth", options.MaxDepth is >= 0 and <= 16, "must be 0..16.");
        RunOptionsValidator.Check(failures, "Gateway__SubAgents__MaxActiveChildren", options.MaxActiveChildren is >= 0 and <= 10_000, "must be 0..10000.");
        RunOptionsValidator.Check(failures, "Gateway__SubAgents__MaxChildrenPerSession", options.MaxChildrenPerSession is >= 0 and <= 1_000_000, "must be 0..1000000.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
