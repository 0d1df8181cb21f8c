using System.Reflection;
using System.Runtime.InteropServices;
using FunctionsGateway.Protocol;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Http.Connections.Client;

namespace FunctionsGateway.Client;

/// <summary>How a <see cref="GatewayClient"/> connects and who it says it is.</summary>
public sealed class GatewayClientOptions
{
    public const string DefaultUrl = "http://127.0.0.1:7071";
    public const string DefaultClientId = "functionsgateway-dotnet";
    public const string DefaultClientMode = "cli";

    /// <summary>Environment variable names the CLI and <see cref="FromEnvironment"/> read.</summary>
    public const string UrlVariable = "GATEWAY_URL";
    public const string SharedTokenVariable = "GATEWAY_SHARED_TOKEN";
    public const string IdentityVariable = DeviceIdentityStore.EnvironmentVariable;

    /// <summary>The gateway's base URL (the Function App or the local host), e.g. <c>http://127.0.0.1:7071</c>.</summary>
    public Uri GatewayUrl { get; set; } = new(DefaultUrl);

    /// <summary>The shared gateway token, used when this device has no device token for <see cref="Role"/> yet.</summary>
    public string? SharedToken { get; set; }

    /// <summary>The identity file; null: <c>GATEWAY_IDENTITY</c>, else <c>~/.functionsgateway/identity.json</c>.</summary>
    public string? IdentityPath { get; set; }

    public string ClientId { get; set; } = DefaultClientId;

    public string ClientVersion { get; set; } = DefaultClientVersion();

    public string ClientMode { get; set; } = DefaultClientMode;

    /// <summary>Signed into every connect (trimmed, lowercased); a change later is a metadata upgrade needing approval.</summary>
    public string Platform { get; set; } = DefaultPlatform();

    public string? DeviceFamily { get; set; }

    /// <summary><c>operator</c> or <c>node</c>.</summary>
    public string Role { get; set; } = GatewayRoles.Operator;

    /// <summary>The scopes this connection asks for: name the least privilege the calls need (see <see cref="GatewayMethods.LeastPrivilege"/>).</summary>
    public IList<string> Scopes { get; set; } = [];

    public bool UseMessagePack { get; set; }

    /// <summary>Allowed transports; null: all (WebSockets, then Server-Sent Events, then long polling).</summary>
    public HttpTransportType? Transports { get; set; }

    /// <summary>
    /// The longest wait between connects while a pairing request is pending
    /// (<see cref="GatewayClient.ConnectWhenApprovedAsync"/>): the wait starts at the poll interval and doubles after
    /// each pending answer up to this, so a device awaiting a human does not reconnect in a tight loop. Default 30 s.
    /// </summary>
    public TimeSpan PairingPollMaxInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Optional hook on the SignalR HTTP options (headers, a test handler, a function key for negotiate).</summary>
    public Action<HttpConnectionOptions>? ConfigureHttpConnection { get; set; }

    /// <summary>Options from <c>GATEWAY_URL</c>, <c>GATEWAY_SHARED_TOKEN</c> and <c>GATEWAY_IDENTITY</c> (unset ones keep their defaults).</summary>
    public static GatewayClientOptions FromEnvironment(Func<string, string?>? getVariable = null)
    {
        getVariable ??= Environment.GetEnvironmentVariable;
        var options = new GatewayClientOptions();
        var url = getVariable(UrlVariable);
        if (!string.IsNullOrWhiteSpace(url))
        {
            options.GatewayUrl = ParseUrl(url);
        }

        var token = getVariable(SharedTokenVariable);
        if (!string.IsNullOrEmpty(token))
        {
            options.SharedToken = token;
        }

        var identity = getVariable(IdentityVariable);
        if (!string.IsNullOrWhiteSpace(identity))
        {
            options.IdentityPath = identity;
        }

        return options;
    }

    /// <summary>An absolute http(s) URL, or <see cref="FormatException"/>.</summary>
    public static Uri ParseUrl(string value)
    {
        if (!Uri.TryCreate(value?.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new FormatException($"not an absolute http(s) URL: {value}");
        }

        return uri;
    }

    /// <summary>
    /// Splits <c>operator.read,operator.write</c> (commas or spaces), drops duplicates, and refuses unknown names with
    /// <see cref="FormatException"/>. The result is in canonical order.
    /// </summary>
    public static string[] ParseScopes(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return [];
        }

        var names = value.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (!OperatorScopes.TryParseAll(names, out var set, out var unknown))
        {
            throw new FormatException($"unknown scope: {unknown} (known: {string.Join(", ", OperatorScopes.All)})");
        }

        return OperatorScopes.ToNames(set);
    }

    /// <summary>The least-privilege scopes for calling <paramref name="method"/> as an operator (none for <c>health</c>).</summary>
    public static string[] LeastPrivilegeScopes(string method) => OperatorScopes.ToNames(GatewayMethods.LeastPrivilege(method));

    /// <summary>The <c>client</c> block of connect params.</summary>
    public ClientInfo ToClientInfo() => new()
    {
        Id = ClientId,
        Version = ClientVersion,
        Platform = Platform,
        DeviceFamily = string.IsNullOrEmpty(DeviceFamily) ? null : DeviceFamily,
        Mode = ClientMode,
    };

    /// <summary>A copy, so a caller's later changes do not affect a connection in progress.</summary>
    public GatewayClientOptions Clone()
    {
        var copy = (GatewayClientOptions)MemberwiseClone();
        copy.Scopes = [.. Scopes];
        return copy;
    }

    /// <summary>Throws <see cref="ArgumentException"/> for a setting the gateway would refuse anyway.</summary>
    public void Validate()
    {
        if (GatewayUrl is null || !GatewayUrl.IsAbsoluteUri)
        {
            throw new ArgumentException("GatewayUrl must be an absolute URL", nameof(GatewayUrl));
        }

        if (!GatewayRoles.TryParse(Role, out _))
        {
            throw new ArgumentException($"unknown role: {Role} (operator or node)", nameof(Role));
        }

        if (!OperatorScopes.TryParseAll(Scopes, out _, out var unknown))
        {
            throw new ArgumentException($"unknown scope: {unknown}", nameof(Scopes));
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(ClientId, nameof(ClientId));
        ArgumentException.ThrowIfNullOrWhiteSpace(ClientMode, nameof(ClientMode));
        ArgumentOutOfRangeException.ThrowIfLessThan(PairingPollMaxInterval, TimeSpan.Zero, nameof(PairingPollMaxInterval));
        RequireSecureTransport(GatewayUrl, AllowInsecureHttp);
    }

    /// <summary>Lets plain http reach a non-loopback host (a lab network); tokens then travel in clear text.</summary>
    public bool AllowInsecureHttp { get; set; }

    /// <summary>Tokens and keys never go over plain http to anything but this machine, unless explicitly allowed.</summary>
    public static void RequireSecureTransport(Uri url, bool allowInsecureHttp)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.Scheme == Uri.UriSchemeHttp && !url.IsLoopback && !allowInsecureHttp)
        {
            throw new ArgumentException($"refusing plain http to {url.Host}: use https, or allow insecure http explicitly", nameof(url));
        }
    }

    /// <summary><c>linux</c>, <c>windows</c>, <c>macos</c>, <c>freebsd</c>, else the runtime's OS description.</summary>
    public static string DefaultPlatform()
    {
        if (OperatingSystem.IsLinux())
        {
            return "linux";
        }

        if (OperatingSystem.IsWindows())
        {
            return "windows";
        }

        if (OperatingSystem.IsMacOS())
        {
            return "macos";
        }

        if (OperatingSystem.IsFreeBSD())
        {
            return "freebsd";
        }

        return DeviceAuthPayload.NormalizeMetadata(RuntimeInformation.OSDescription.Split(' ')[0]);
    }

    private static string DefaultClientVersion()
    {
        var assembly = typeof(GatewayClientOptions).Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString()
            ?? "0.0.0";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }
}
