using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Client;

/// <summary>A pending pairing request, as the admin API lists it.</summary>
public sealed record PendingPairingRequest(
    [property: JsonPropertyName("requestId")] string RequestId,
    [property: JsonPropertyName("deviceId")] string DeviceId,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("requestedScopes")] string[] RequestedScopes,
    [property: JsonPropertyName("approvedScopes")] string[] ApprovedScopes,
    [property: JsonPropertyName("clientId")] string? ClientId,
    [property: JsonPropertyName("platform")] string? Platform,
    [property: JsonPropertyName("createdAtMs")] long CreatedAtMs,
    [property: JsonPropertyName("expiresAtMs")] long ExpiresAtMs);

/// <summary>A paired device, as the admin API lists it.</summary>
public sealed record PairedDevice(
    [property: JsonPropertyName("deviceId")] string DeviceId,
    [property: JsonPropertyName("roles")] string[]? Roles,
    [property: JsonPropertyName("scopes")] string[]? Scopes,
    [property: JsonPropertyName("clientId")] string? ClientId,
    [property: JsonPropertyName("platform")] string? Platform,
    [property: JsonPropertyName("deviceFamily")] string? DeviceFamily,
    [property: JsonPropertyName("internal")] bool Internal,
    [property: JsonPropertyName("pairedAtMs")] long PairedAtMs);

/// <summary><c>GET /api/admin/pairing</c>. <see cref="Json"/> is the body as received (fields this client does not model included).</summary>
public sealed record PairingList(IReadOnlyList<PendingPairingRequest> Pending, IReadOnlyList<PairedDevice> Paired, JsonElement Json)
{
    /// <summary>Where the next page starts (pass it to <see cref="GatewayAdminClient.ListAsync(int?, string?, CancellationToken)"/>); null on the last page.</summary>
    public string? Next => Json.ValueKind == JsonValueKind.Object ? GatewayException.GetString(Json, "next") : null;
}

/// <summary>The answer to approve or reject. <see cref="Json"/> is the body as received.</summary>
public sealed record PairingDecision(string RequestId, string DeviceId, string Decision, string? Role, IReadOnlyList<string> Scopes, JsonElement Json);

/// <summary>A non-2xx answer from the admin API: the HTTP status and the body's <c>error{code, message, details?}</c>.</summary>
public sealed class GatewayAdminException : Exception
{
    public GatewayAdminException()
        : this("admin API error")
    {
    }

    public GatewayAdminException(string message)
        : this(message, null)
    {
    }

    public GatewayAdminException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Code = string.Empty;
    }

    public GatewayAdminException(HttpStatusCode statusCode, string code, string message, JsonElement? details = null)
        : base(message)
    {
        StatusCode = statusCode;
        Code = code;
        Details = details is { ValueKind: JsonValueKind.Object } d ? d.Clone() : null;
        DetailCode = Details is { } obj ? GatewayException.GetString(obj, "code") : null;
    }

    public HttpStatusCode StatusCode { get; }

    /// <summary><c>error.code</c> of the body (or <c>HTTP_{status}</c> when the body had none).</summary>
    public string Code { get; }

    public string? DetailCode { get; }

    public JsonElement? Details { get; }
}

/// <summary>
/// The admin HTTP API (function key in <c>x-functions-key</c>): list pending and paired devices, approve or reject a
/// pending request by id. This is how the very first admin device gets approved.
/// </summary>
public sealed class GatewayAdminClient : IDisposable
{
    public const string AdminKeyHeader = "x-functions-key";
    public const string AdminKeyVariable = "GATEWAY_ADMIN_KEY";

    private readonly HttpClient http;
    private readonly bool ownsHttp;
    private readonly Uri pairingUrl;
    private readonly string adminKey;

    /// <param name="gatewayUrl">The gateway's base URL, e.g. <c>http://127.0.0.1:7071</c>.</param>
    /// <param name="adminKey">The function key (Azure) or <c>Gateway__AdminKey</c> (local host).</param>
    /// <param name="httpClient">Optional; not disposed by this client.</param>
    /// <param name="allowInsecureHttp">Lets plain http reach a non-loopback host; the admin key then travels in clear text.</param>
    public GatewayAdminClient(Uri gatewayUrl, string adminKey, HttpClient? httpClient = null, bool allowInsecureHttp = false)
    {
        ArgumentNullException.ThrowIfNull(gatewayUrl);
        ArgumentException.ThrowIfNullOrEmpty(adminKey);
        GatewayClientOptions.RequireSecureTransport(gatewayUrl, allowInsecureHttp);
        var builder = new UriBuilder(gatewayUrl) { Query = string.Empty, Fragment = string.Empty };
        if (!builder.Path.EndsWith('/'))
        {
            builder.Path += "/";
        }

        builder.Path += "api/admin/pairing";
        pairingUrl = builder.Uri;
        this.adminKey = adminKey;
        // No redirects: the admin key must not follow a response to another host.
        http = httpClient ?? new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        ownsHttp = httpClient is null;
    }

    /// <summary>The first page of pending requests (unexpired) and paired devices: up to 100 of each.</summary>
    public Task<PairingList> ListAsync(CancellationToken cancellationToken = default) => ListAsync(null, null, cancellationToken);

    /// <summary>One page: up to <paramref name="limit"/> (1–500) of each list, from <paramref name="next"/> (a previous page's <see cref="PairingList.Next"/>).</summary>
    public async Task<PairingList> ListAsync(int? limit, string? next, CancellationToken cancellationToken = default)
    {
        var query = new List<string>();
        if (limit is { } l)
        {
            query.Add("limit=" + l.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (!string.IsNullOrEmpty(next))
        {
            query.Add("next=" + Uri.EscapeDataString(next));
        }

        var url = query.Count == 0 ? pairingUrl : new Uri(pairingUrl + "?" + string.Join('&', query));
        var json = await SendAsync(HttpMethod.Get, url, cancellationToken);
        return new PairingList(ReadPending(json), ReadPaired(json), json);
    }

    public Task<PairingDecision> ApproveAsync(string requestId, CancellationToken cancellationToken = default)
        => DecideAsync(requestId, "approve", cancellationToken);

    public Task<PairingDecision> RejectAsync(string requestId, CancellationToken cancellationToken = default)
        => DecideAsync(requestId, "reject", cancellationToken);

    public void Dispose()
    {
        if (ownsHttp)
        {
            http.Dispose();
        }
    }

    private async Task<PairingDecision> DecideAsync(string requestId, string action, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(requestId);
        var url = new Uri(pairingUrl + "/" + Uri.EscapeDataString(requestId) + "/" + action);
        var json = await SendAsync(HttpMethod.Post, url, cancellationToken);
        return new PairingDecision(
            GatewayException.GetString(json, "requestId") ?? requestId,
            GatewayException.GetString(json, "deviceId") ?? string.Empty,
            GatewayException.GetString(json, "decision") ?? (action == "approve" ? "approved" : "rejected"),
            GatewayException.GetString(json, "role"),
            GatewayException.GetStrings(json, "scopes"),
            json);
    }

    private async Task<JsonElement> SendAsync(HttpMethod method, Uri url, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.TryAddWithoutValidation(AdminKeyHeader, adminKey);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (method == HttpMethod.Post)
        {
            request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        var json = TryParse(body);
        if (!response.IsSuccessStatusCode)
        {
            throw ToException(response.StatusCode, json);
        }

        if (json is not { ValueKind: JsonValueKind.Object } root)
        {
            throw new GatewayAdminException(response.StatusCode, "MALFORMED_RESPONSE", "the admin API answered with a body that is not a JSON object");
        }

        // Tolerate the gateway's {ok, payload, error} envelope as well as a bare body.
        if (root.TryGetProperty("ok", out var ok) && ok.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            if (ok.ValueKind == JsonValueKind.False)
            {
                throw ToException(response.StatusCode, root);
            }

            return root.TryGetProperty("payload", out var payload) ? payload : root;
        }

        return root;
    }

    internal static GatewayAdminException ToException(HttpStatusCode status, JsonElement? body)
    {
        if (body is { ValueKind: JsonValueKind.Object } root && root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            JsonElement? details = error.TryGetProperty("details", out var d) ? d : null;
            return new GatewayAdminException(
                status,
                GatewayException.GetString(error, "code") ?? $"HTTP_{(int)status}",
                GatewayException.GetString(error, "message") ?? $"admin API answered {(int)status} {status}",
                details);
        }

        var hint = status == HttpStatusCode.Unauthorized ? " (missing or wrong admin key)" : string.Empty;
        return new GatewayAdminException(status, $"HTTP_{(int)status}", $"admin API answered {(int)status} {status}{hint}");
    }

    private static JsonElement? TryParse(byte[] body)
    {
        if (body.Length == 0)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // Read field by field, leniently: a field this client does not know, or one of another type, must not hide the rest.
    internal static List<PendingPairingRequest> ReadPending(JsonElement root)
        => ReadArray(root, "pending", e => new PendingPairingRequest(
            GatewayException.GetString(e, "requestId") ?? string.Empty,
            GatewayException.GetString(e, "deviceId") ?? string.Empty,
            GatewayException.GetString(e, "reason") ?? string.Empty,
            GatewayException.GetString(e, "role") ?? string.Empty,
            GatewayException.GetStrings(e, "requestedScopes"),
            GatewayException.GetStrings(e, "approvedScopes"),
            GatewayException.GetString(e, "clientId"),
            GatewayException.GetString(e, "platform"),
            GetInt64(e, "createdAtMs"),
            GetInt64(e, "expiresAtMs")));

    internal static List<PairedDevice> ReadPaired(JsonElement root)
        => ReadArray(root, "paired", e => new PairedDevice(
            GatewayException.GetString(e, "deviceId") ?? string.Empty,
            GatewayException.GetStrings(e, "roles"),
            GatewayException.GetStrings(e, "scopes"),
            GatewayException.GetString(e, "clientId"),
            GatewayException.GetString(e, "platform"),
            GatewayException.GetString(e, "deviceFamily"),
            e.TryGetProperty("internal", out var i) && i.ValueKind == JsonValueKind.True,
            GetInt64(e, "pairedAtMs")));

    private static List<T> ReadArray<T>(JsonElement root, string name, Func<JsonElement, T> read)
    {
        var list = new List<T>();
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in array.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Object)
                {
                    list.Add(read(item));
                }
            }
        }

        return list;
    }

    private static long GetInt64(JsonElement obj, string name)
        => obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : 0;
}
