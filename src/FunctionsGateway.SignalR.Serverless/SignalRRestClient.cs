using Azure.Core.Pipeline;

namespace FunctionsGateway.SignalR.Serverless;

/// <summary>Retry settings for <see cref="SignalRRestClient"/>.</summary>
public sealed class SignalRRestClientOptions
{
    /// <summary>Total tries per call, including the first (the SDK uses 3).</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Fixed delay between tries (the SDK uses 0.8 s).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(800);
}

/// <summary>
/// Azure SignalR Service data-plane REST client (api-version 2022-06-01), matching the Management SDK's
/// URLs, token audiences, success codes and retry rules.
/// </summary>
public sealed class SignalRRestClient : ISignalRServiceClient
{
    /// <summary>The REST api-version this client speaks.</summary>
    public const string ApiVersion = "2022-06-01";

    private const string ApiVersionQuery = "?api-version=" + ApiVersion;

    private readonly IRestTransport _transport;
    private readonly string _serverBase;
    private readonly string _audienceBase;
    private readonly int _maxAttempts;
    private readonly TimeSpan _retryDelay;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates a client that signs tokens with the connection string's access key.</summary>
    public SignalRRestClient(HttpClient httpClient, SignalRConnectionString connectionString, SignalRRestClientOptions? options = null, TimeProvider? timeProvider = null)
        : this(
            httpClient,
            connectionString,
            new AccessKeyTokenSource(
                connectionString?.AccessKey ?? throw new InvalidOperationException("REST tokens need an AccessKey; pass an IServiceTokenSource for identity auth."),
                timeProvider: timeProvider),
            options,
            timeProvider)
    {
    }

    /// <summary>Creates a client with a custom token source; URLs come from <paramref name="connectionString"/>.</summary>
    public SignalRRestClient(HttpClient httpClient, SignalRConnectionString connectionString, IServiceTokenSource tokenSource, SignalRRestClientOptions? options = null, TimeProvider? timeProvider = null)
        : this(new HttpClientRestTransport(httpClient, tokenSource), connectionString, options, timeProvider)
    {
    }

    /// <summary>
    /// Creates a client for Microsoft Entra ID: every call goes through <paramref name="pipeline"/>, whose bearer policy
    /// adds the Entra token (<see cref="SignalREntra.CreatePipeline"/>). This client's retry rules stay the only ones.
    /// </summary>
    public SignalRRestClient(HttpPipeline pipeline, SignalRConnectionString connectionString, SignalRRestClientOptions? options = null, TimeProvider? timeProvider = null)
        : this(new PipelineRestTransport(pipeline), connectionString, options, timeProvider)
    {
    }

    private SignalRRestClient(IRestTransport transport, SignalRConnectionString connectionString, SignalRRestClientOptions? options, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        _transport = transport;
        _serverBase = SignalRConnectionString.BaseUrl(connectionString.ServerBaseUri);
        _audienceBase = connectionString.AudienceBase;
        options ??= new SignalRRestClientOptions();
        _maxAttempts = Math.Max(1, options.MaxAttempts);
        _retryDelay = options.RetryDelay < TimeSpan.Zero ? TimeSpan.Zero : options.RetryDelay;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public Task SendToConnectionAsync(string hub, string connectionId, string target, ReadOnlyMemory<byte> argumentsJsonArray, CancellationToken cancellationToken = default)
    {
        var path = string.Concat("/connections/", Segment(connectionId, nameof(connectionId)), "/:send");
        return SendMessageAsync("SendToConnection", hub, path, null, target, argumentsJsonArray, cancellationToken);
    }

    /// <inheritdoc />
    public Task SendToUserAsync(string hub, string userId, string target, ReadOnlyMemory<byte> argumentsJsonArray, CancellationToken cancellationToken = default)
    {
        var path = string.Concat("/users/", Segment(userId, nameof(userId)), "/:send");
        return SendMessageAsync("SendToUser", hub, path, null, target, argumentsJsonArray, cancellationToken);
    }

    /// <inheritdoc />
    public Task SendToGroupAsync(string hub, string group, string target, ReadOnlyMemory<byte> argumentsJsonArray, IReadOnlyList<string>? excludedConnectionIds = null, CancellationToken cancellationToken = default)
    {
        var path = string.Concat("/groups/", Segment(group, nameof(group)), "/:send");
        string? query = null;
        if (excludedConnectionIds is { Count: > 0 })
        {
            var parts = new string[excludedConnectionIds.Count];
            for (var i = 0; i < parts.Length; i++)
            {
                parts[i] = "&excluded=" + Segment(excludedConnectionIds[i], nameof(excludedConnectionIds));
            }

            query = string.Concat(parts);
        }

        return SendMessageAsync("SendToGroup", hub, path, query, target, argumentsJsonArray, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<SignalROperationResult> AddConnectionToGroupAsync(string hub, string group, string connectionId, CancellationToken cancellationToken = default)
    {
        var path = string.Concat("/groups/", Segment(group, nameof(group)), "/connections/", Segment(connectionId, nameof(connectionId)));
        var (status, code) = await ExecuteAsync(new RestCall("AddConnectionToGroup", HttpMethod.Put, hub, path, null, null, IsMessage: false), cancellationToken);
        return MapOutcome("AddConnectionToGroup", status, code, static c => c == "Error.Connection.NotExisted");
    }

    /// <inheritdoc />
    public async Task<SignalROperationResult> RemoveConnectionFromGroupAsync(string hub, string group, string connectionId, CancellationToken cancellationToken = default)
    {
        var path = string.Concat("/groups/", Segment(group, nameof(group)), "/connections/", Segment(connectionId, nameof(connectionId)));
        var (status, code) = await ExecuteAsync(new RestCall("RemoveConnectionFromGroup", HttpMethod.Delete, hub, path, null, null, IsMessage: false), cancellationToken);

        // Removing something already gone is the desired end state; the service signals it with a *.NotExisted code.
        return MapOutcome("RemoveConnectionFromGroup", status, code, static c => c.EndsWith(".NotExisted", StringComparison.Ordinal));
    }

    /// <inheritdoc />
    public async Task<SignalROperationResult> CloseConnectionAsync(string hub, string connectionId, string? reason, CancellationToken cancellationToken = default)
    {
        var path = string.Concat("/connections/", Segment(connectionId, nameof(connectionId)));
        var query = string.IsNullOrEmpty(reason) ? null : "&reason=" + Uri.EscapeDataString(reason);
        var (status, code) = await ExecuteAsync(new RestCall("CloseConnection", HttpMethod.Delete, hub, path, query, null, IsMessage: false), cancellationToken);
        return MapOutcome("CloseConnection", status, code, static c => c == "Warning.Connection.NotExisted");
    }

    /// <inheritdoc />
    public async Task<bool> ConnectionExistsAsync(string hub, string connectionId, CancellationToken cancellationToken = default)
    {
        var path = string.Concat("/connections/", Segment(connectionId, nameof(connectionId)));
        var (status, code) = await ExecuteAsync(new RestCall("ConnectionExists", HttpMethod.Head, hub, path, null, null, IsMessage: false), cancellationToken);
        return status switch
        {
            200 => true,
            404 => false,
            _ => throw new SignalRServiceException("ConnectionExists", status, code),
        };
    }

    /// <summary>The REST body <c>{"target":"..","arguments":[...]}</c>.</summary>
    /// <exception cref="ArgumentException"><paramref name="argumentsJsonArray"/> is not a JSON array.</exception>
    internal static byte[] BuildMessageBody(string target, ReadOnlySpan<byte> argumentsJsonArray)
    {
        ArgumentException.ThrowIfNullOrEmpty(target);
        HubFrameWriter.RequireJsonArray(argumentsJsonArray, nameof(argumentsJsonArray));
        HubFrameWriter.ValidateJsonValue(argumentsJsonArray, nameof(argumentsJsonArray));
        var scratch = JsonScratch.Rent();
        try
        {
            var w = scratch.Writer;
            w.WriteStartObject();
            w.WriteString("target"u8, target);
            w.WritePropertyName("arguments"u8);
            w.WriteRawValue(argumentsJsonArray, skipInputValidation: true);
            w.WriteEndObject();
            w.Flush();
            return scratch.Buffer.WrittenSpan.ToArray();
        }
        finally
        {
            JsonScratch.Return(scratch);
        }
    }

    private static string Segment(string value, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(value, name);
        return Uri.EscapeDataString(value);
    }

    private static SignalROperationResult MapOutcome(string operation, int status, string? code, Func<string, bool> isNotExisted)
    {
        if (status is 200 or 202 or 204)
        {
            return SignalROperationResult.Success;
        }

        if (status == 404 && code is not null && isNotExisted(code))
        {
            return SignalROperationResult.NotExisted;
        }

        throw new SignalRServiceException(operation, status, code);
    }

    private static bool ShouldRetry(bool isMessage, int status) =>
        isMessage
            ? status > 500 // The runtime returns 500 on timeouts, so retrying a send could duplicate it.
            : status >= 500 || status == 408;

    private async Task SendMessageAsync(string operation, string hub, string path, string? query, string target, ReadOnlyMemory<byte> arguments, CancellationToken cancellationToken)
    {
        var body = BuildMessageBody(target, arguments.Span);
        var (status, code) = await ExecuteAsync(new RestCall(operation, HttpMethod.Post, hub, path, query, body, IsMessage: true), cancellationToken);
        if (status is not (200 or 202 or 204))
        {
            throw new SignalRServiceException(operation, status, code);
        }
    }

    private async Task<(int Status, string? ErrorCode)> ExecuteAsync(RestCall call, CancellationToken cancellationToken)
    {
        var hubPath = string.Concat("api/hubs/", Uri.EscapeDataString(SignalRHubName.Normalize(call.Hub)), call.Path, ApiVersionQuery);
        var uri = new Uri(string.Concat(_serverBase, "/", hubPath, call.Query));

        // The audience stops at api-version: reason/excluded are not part of it, and it never has a port.
        var audience = _audienceBase + hubPath;

        for (var attempt = 1; ; attempt++)
        {
            int status;
            string? code;
            try
            {
                (status, code) = await _transport.SendAsync(call.Operation, call.Method, uri, audience, call.Body, cancellationToken);
            }
            catch (Exception ex) when (!call.IsMessage
                && attempt < _maxAttempts
                && (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested)))
            {
                // Transport failures are retried only for idempotent group/close/exists calls.
                await DelayAsync(cancellationToken);
                continue;
            }

            if (attempt < _maxAttempts && ShouldRetry(call.IsMessage, status))
            {
                await DelayAsync(cancellationToken);
                continue;
            }

            return (status, code);
        }
    }

    private Task DelayAsync(CancellationToken cancellationToken) =>
        _retryDelay == TimeSpan.Zero ? Task.CompletedTask : Task.Delay(_retryDelay, _timeProvider, cancellationToken);

    private sealed record RestCall(string Operation, HttpMethod Method, string Hub, string Path, string? Query, byte[]? Body, bool IsMessage);
}
