using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Methods;

/// <summary>Answers gateway methods for an admitted, already authorized caller. Each concern registers its own.</summary>
public interface IMethodHandler
{
    /// <summary>The methods this handler answers; each must be in <see cref="GatewayMethods"/>.</summary>
    IReadOnlyCollection<string> Methods { get; }

    Task<GatewayResponse> HandleAsync(MethodContext context, CancellationToken cancellationToken);

    /// <summary>
    /// How long <paramref name="method"/> may wait by design (a long poll), granted on top of the call's storage deadline.
    /// </summary>
    TimeSpan WaitBudget(string method) => TimeSpan.Zero;
}
