namespace FunctionsGateway.SignalR.Serverless;

/// <summary>Supplies the bearer token for a REST call; the access-key source signs one, an Entra source would fetch one.</summary>
public interface IServiceTokenSource
{
    /// <summary>Returns a token valid for <paramref name="audience"/> (the request URL up to <c>?api-version=...</c>).</summary>
    ValueTask<string> GetAccessTokenAsync(string audience, CancellationToken cancellationToken = default);
}
