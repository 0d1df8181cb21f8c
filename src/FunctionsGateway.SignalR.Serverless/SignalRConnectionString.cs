using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace FunctionsGateway.SignalR.Serverless;

/// <summary>How the app authenticates to the service (connection string <c>AuthType</c>).</summary>
public enum SignalRAuthType
{
    /// <summary>No AuthType: tokens are signed with <see cref="SignalRConnectionString.AccessKey"/>.</summary>
    AccessKey,

    /// <summary><c>azure</c>: DefaultAzureCredential.</summary>
    Azure,

    /// <summary><c>azure.msi</c>: ManagedIdentityCredential.</summary>
    AzureMsi,

    /// <summary><c>azure.app</c>: client secret or certificate credential.</summary>
    AzureApp,
}

/// <summary>
/// A parsed Azure SignalR Service connection string (<c>Endpoint=...;AccessKey=...;[Port=...;]Version=1.0;</c>).
/// Error messages name keys only, never values, so the access key cannot leak into logs.
/// </summary>
public sealed partial class SignalRConnectionString
{
    /// <summary>The connection string the local emulator prints at start.</summary>
    public const string Emulator = "Endpoint=http://localhost;Port=8888;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;";

    private SignalRConnectionString(
        Uri endpoint,
        string? accessKey,
        Uri? clientEndpoint,
        Uri? serverEndpoint,
        string? version,
        SignalRAuthType authType,
        string? clientId,
        string? tenantId,
        string? clientSecret = null)
    {
        Endpoint = endpoint;
        AccessKey = accessKey;
        ClientEndpoint = clientEndpoint;
        ServerEndpoint = serverEndpoint;
        Version = version;
        AuthType = authType;
        ClientId = clientId;
        TenantId = tenantId;
        ClientSecret = clientSecret;
        AudienceBase = string.Concat(endpoint.Scheme, "://", endpoint.Host, "/");
    }

    /// <summary>The service endpoint, with <c>Port</c> applied.</summary>
    public Uri Endpoint { get; }

    /// <summary>The access key exactly as written (its UTF-8 bytes are the HMAC key); null for identity auth.</summary>
    public string? AccessKey { get; }

    /// <summary>Optional URL handed to clients in negotiate (App Gateway / APIM in front of the service).</summary>
    public Uri? ClientEndpoint { get; }

    /// <summary>Optional URL used for REST calls.</summary>
    public Uri? ServerEndpoint { get; }

    /// <summary>The <c>Version</c> value, if present.</summary>
    public string? Version { get; }

    /// <summary>The authentication type.</summary>
    public SignalRAuthType AuthType { get; }

    /// <summary>The <c>ClientId</c> value (identity auth), if present.</summary>
    public string? ClientId { get; }

    /// <summary>The <c>TenantId</c> value (identity auth), if present.</summary>
    public string? TenantId { get; }

    /// <summary>The <c>ClientSecret</c> value (<c>AuthType=azure.app</c>), if present; never printed.</summary>
    public string? ClientSecret { get; }

    /// <summary><see cref="ClientEndpoint"/> ?? <see cref="Endpoint"/>.</summary>
    public Uri ClientBaseUri => ClientEndpoint ?? Endpoint;

    /// <summary><see cref="ServerEndpoint"/> ?? <see cref="Endpoint"/>.</summary>
    public Uri ServerBaseUri => ServerEndpoint ?? Endpoint;

    /// <summary>
    /// <c>{scheme}://{host}/</c> of <see cref="Endpoint"/>: the base of every token audience. The service checks
    /// audiences against its own host, so there is no port and Client/ServerEndpoint do not apply.
    /// </summary>
    public string AudienceBase { get; }

    /// <summary>Parses a connection string.</summary>
    /// <exception cref="FormatException">The string is malformed; the message never contains values.</exception>
    public static SignalRConnectionString Parse(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        var result = ParseCore(connectionString, out var error);
        return result ?? throw new FormatException(error);
    }

    /// <summary>Parses a connection string without throwing.</summary>
    public static bool TryParse([NotNullWhen(true)] string? connectionString, [NotNullWhen(true)] out SignalRConnectionString? result)
    {
        result = connectionString is null ? null : ParseCore(connectionString, out _);
        return result is not null;
    }

    /// <summary>
    /// An identity-based connection to <paramref name="endpoint"/> without a connection string (the Functions
    /// convention, <c>AzureSignalRConnectionString__serviceUri</c>).
    /// </summary>
    /// <exception cref="ArgumentException">Not an absolute http(s) URI, or <paramref name="authType"/> is <see cref="SignalRAuthType.AccessKey"/>.</exception>
    public static SignalRConnectionString ForIdentity(string endpoint, SignalRAuthType authType, string? clientId = null, string? tenantId = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (authType == SignalRAuthType.AccessKey)
        {
            throw new ArgumentException("An identity-based connection needs an identity AuthType.", nameof(authType));
        }

        return TryParseHttpUri(endpoint, out var uri)
            ? new SignalRConnectionString(uri, null, null, null, null, authType, clientId, tenantId)
            : throw new ArgumentException("The service URI is not an absolute http or https URI.", nameof(endpoint));
    }

    /// <summary>Never prints the access key.</summary>
    public override string ToString() =>
        $"Endpoint={Endpoint.GetLeftPart(UriPartial.Path).TrimEnd('/')};AuthType={AuthType}";

    [GeneratedRegex(@"^1\.\d+(?:[\w-.]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex VersionRegex();

    private static SignalRConnectionString? ParseCore(string connectionString, out string error)
    {
        string? endpoint = null, accessKey = null, port = null, clientEndpoint = null, serverEndpoint = null;
        string? version = null, authType = null, clientId = null, tenantId = null, clientSecret = null;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        foreach (var range in connectionString.AsSpan().Split(';'))
        {
            var segment = connectionString.AsSpan(range).Trim();
            if (segment.IsEmpty)
            {
                continue;
            }

            // Split at the first '=' only: base64 values end in '='.
            var eq = segment.IndexOf('=');
            if (eq < 0)
            {
                error = "Connection string has a segment without '='.";
                return null;
            }

            var key = segment[..eq].Trim().ToString();
            var value = segment[(eq + 1)..].Trim().ToString();
            if (key.Length == 0)
            {
                error = "Connection string has a segment with an empty key.";
                return null;
            }

            if (!seen.Add(key))
            {
                // Key names are safe to report; values are not.
                error = $"Connection string has a duplicate key '{key}'.";
                return null;
            }

            switch (key.ToLowerInvariant())
            {
                case "endpoint": endpoint = value; break;
                case "accesskey": accessKey = value; break;
                case "port": port = value; break;
                case "clientendpoint": clientEndpoint = value; break;
                case "serverendpoint": serverEndpoint = value; break;
                case "version": version = value; break;
                case "authtype": authType = value; break;
                case "clientid": clientId = value; break;
                case "tenantid": tenantId = value; break;
                case "clientsecret": clientSecret = value; break;
                default: break; // Unknown keys (ClientCert, ...) are tolerated like the SDK does.
            }
        }

        if (string.IsNullOrEmpty(endpoint))
        {
            error = "Connection string is missing the required Endpoint.";
            return null;
        }

        if (!TryParseHttpUri(endpoint, out var endpointUri))
        {
            error = "Connection string Endpoint is not an absolute http or https URI.";
            return null;
        }

        if (port is not null)
        {
            if (!int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
            {
                error = "Connection string Port must be an integer between 1 and 65535.";
                return null;
            }

            endpointUri = new UriBuilder(endpointUri) { Port = p }.Uri;
        }

        Uri? clientUri = null, serverUri = null;
        if (clientEndpoint is not null && !TryParseHttpUri(clientEndpoint, out clientUri))
        {
            error = "Connection string ClientEndpoint is not an absolute http or https URI.";
            return null;
        }

        if (serverEndpoint is not null && !TryParseHttpUri(serverEndpoint, out serverUri))
        {
            error = "Connection string ServerEndpoint is not an absolute http or https URI.";
            return null;
        }

        if (version is not null && !VersionRegex().IsMatch(version))
        {
            error = "Connection string Version is not supported (expected 1.x).";
            return null;
        }

        SignalRAuthType auth;
        switch (authType?.ToLowerInvariant())
        {
            case null: auth = SignalRAuthType.AccessKey; break;
            case "azure": auth = SignalRAuthType.Azure; break;
            case "azure.msi": auth = SignalRAuthType.AzureMsi; break;
            case "azure.app": auth = SignalRAuthType.AzureApp; break;
            default:
                error = "Connection string AuthType is not supported (use azure, azure.msi or azure.app, or omit it).";
                return null;
        }

        if (auth == SignalRAuthType.AccessKey && string.IsNullOrEmpty(accessKey))
        {
            error = "Connection string is missing the required AccessKey.";
            return null;
        }

        error = string.Empty;
        return new SignalRConnectionString(
            endpointUri,
            string.IsNullOrEmpty(accessKey) ? null : accessKey,
            clientUri,
            serverUri,
            version,
            auth,
            clientId,
            tenantId,
            string.IsNullOrEmpty(clientSecret) ? null : clientSecret);
    }

    private static bool TryParseHttpUri(string value, [NotNullWhen(true)] out Uri? uri)
    {
        if (Uri.TryCreate(value.TrimEnd('/'), UriKind.Absolute, out uri)
            && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            && !string.IsNullOrEmpty(uri.Host))
        {
            return true;
        }

        uri = null;
        return false;
    }

    // Base URL text without a trailing '/', keeping port and any path prefix (e.g. an APIM route).
    internal static string BaseUrl(Uri uri) => uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
}
