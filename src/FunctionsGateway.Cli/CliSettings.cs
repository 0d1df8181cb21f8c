using FunctionsGateway.Client;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Cli;

/// <summary>The global options, resolved against the environment: <c>--url</c>, <c>--token</c>, <c>--identity</c>, <c>--msgpack</c>.</summary>
internal sealed record CliSettings(Uri Url, string? SharedToken, string? IdentityPath, bool UseMessagePack)
{
    public static readonly IReadOnlySet<string> GlobalOptions = new HashSet<string>(StringComparer.Ordinal)
    {
        "url", "token", "identity", "msgpack", "help", "version",
    };

    public static CliSettings From(CliArguments args, Func<string, string?> environment)
    {
        var url = args.GetOrEnvironment("url", GatewayClientOptions.UrlVariable, environment) ?? GatewayClientOptions.DefaultUrl;
        Uri parsed;
        try
        {
            parsed = GatewayClientOptions.ParseUrl(url);
        }
        catch (FormatException ex)
        {
            throw new CliUsageException($"--url: {ex.Message}");
        }

        return new CliSettings(
            parsed,
            args.GetOrEnvironment("token", GatewayClientOptions.SharedTokenVariable, environment),
            args.GetOrEnvironment("identity", GatewayClientOptions.IdentityVariable, environment),
            args.Has("msgpack"));
    }

    /// <summary>Client options for <paramref name="role"/> asking <paramref name="scopes"/>.</summary>
    public GatewayClientOptions ToClientOptions(string role, IReadOnlyList<string> scopes) => new()
    {
        GatewayUrl = Url,
        SharedToken = SharedToken,
        IdentityPath = IdentityPath,
        UseMessagePack = UseMessagePack,
        Role = role,
        Scopes = [.. scopes],
    };

    /// <summary><c>--role</c>: operator (default) or node.</summary>
    public static string ParseRole(CliArguments args)
    {
        var role = args.Get("role") ?? GatewayRoles.Operator;
        if (!GatewayRoles.TryParse(role, out _))
        {
            throw new CliUsageException($"--role must be operator or node, got: {role}");
        }

        return role;
    }

    /// <summary><c>--scopes a,b</c>, else <paramref name="fallback"/>; unknown names are a usage error.</summary>
    public static string[] ParseScopes(CliArguments args, IReadOnlyList<string> fallback)
    {
        var value = args.Get("scopes");
        if (value is null)
        {
            return [.. fallback];
        }

        try
        {
            return GatewayClientOptions.ParseScopes(value);
        }
        catch (FormatException ex)
        {
            throw new CliUsageException($"--scopes: {ex.Message}");
        }
    }
}
