using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Azure.Core;
using FunctionsGateway.SignalR.Serverless;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Tests.SignalR.Serverless;

/// <summary>A request the fake service saw: what went on the wire, Authorization included.</summary>
internal sealed record ServiceRequest(string Method, string PathAndQuery, string? Authorization);

/// <summary>
/// Plays the SignalR service on 127.0.0.1 over HTTPS (a self-signed certificate made here, trusted by exactly the
/// clients <see cref="CreateClient"/> makes): the temporary-key endpoint and the REST API, recording every request.
/// </summary>
internal sealed class FakeSignalRService : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ServiceRequest> _requests = new();
    private volatile Func<HttpContext, Task> _keyAnswer;

    private FakeSignalRService(WebApplication app, X509Certificate2 certificate)
    {
        _app = app;
        Certificate = certificate;
        _keyAnswer = Answer(500);
    }

    public X509Certificate2 Certificate { get; }

    public Uri Endpoint { get; private set; } = null!;

    public IReadOnlyList<ServiceRequest> Requests => [.. _requests];

    /// <summary>What every REST call answers; by default 202 for a send and 200 otherwise.</summary>
    public int? RestStatus { get; set; }

    public IReadOnlyList<ServiceRequest> KeyFetches => [.. _requests.Where(r => r.PathAndQuery == EntraClientTokenKeySource.AccessKeyPath)];

    /// <summary>A connection string for this endpoint under Entra ID (managed identity).</summary>
    public SignalRConnectionString ConnectionString => SignalRConnectionString.Parse($"Endpoint={Endpoint.GetLeftPart(UriPartial.Authority)};AuthType=azure.msi;Version=1.0;");

    public static async Task<FakeSignalRService> StartAsync()
    {
        var certificate = CreateCertificate();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate)));
        var app = builder.Build();
        var service = new FakeSignalRService(app, certificate);
        app.Run(service.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        service.Endpoint = new Uri(address);
        return service;
    }

    /// <summary>The next key fetches answer 200 <c>{"KeyId", "AccessKey"}</c>.</summary>
    public void ServeKey(string keyId, string accessKey) => _keyAnswer = c => c.Response.WriteAsJsonAsync(new { KeyId = keyId, AccessKey = accessKey });

    /// <summary>The next key fetches answer this status (no key).</summary>
    public void FailKeyWith(int status) => _keyAnswer = Answer(status);

    /// <summary>The next key fetches answer this body with 200.</summary>
    public void AnswerKeyWith(string json) => _keyAnswer = c => c.Response.WriteAsync(json);

    /// <summary>The next key fetches wait until the returned source is completed, then serve the key.</summary>
    public TaskCompletionSource HoldKey(string keyId, string accessKey)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _keyAnswer = async c =>
        {
            await release.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await c.Response.WriteAsJsonAsync(new { KeyId = keyId, AccessKey = accessKey });
        };
        return release;
    }

    /// <summary>An HttpClient that trusts exactly this service's certificate.</summary>
    public HttpClient CreateClient() => new(CreateHandler());

    public SocketsHttpHandler CreateHandler()
    {
        var expected = Certificate.RawData;
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(expected);
        return handler;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Certificate.Dispose();
    }

    private static Func<HttpContext, Task> Answer(int status) => c =>
    {
        c.Response.StatusCode = status;
        return Task.CompletedTask;
    };

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        _requests.Enqueue(new ServiceRequest(request.Method, request.Path + request.QueryString, request.Headers.Authorization.ToString() is { Length: > 0 } a ? a : null));
        if (request.Path == EntraClientTokenKeySource.AccessKeyPath)
        {
            await _keyAnswer(context);
            return;
        }

        context.Response.StatusCode = RestStatus ?? (request.Path.Value!.EndsWith("/:send", StringComparison.Ordinal) ? 202 : 200);
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

        // Kestrel needs the key in a form it can use on every platform: round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}

/// <summary>An Entra credential stand-in: records the scopes it is asked for, counts calls, and can be made to fail.</summary>
internal sealed class FakeTokenCredential : TokenCredential
{
    public const string DefaultToken = "fake-entra-token";
    private readonly ConcurrentQueue<string[]> _scopes = new();
    private int _calls;

    public string Token { get; set; } = DefaultToken;

    /// <summary>How long a token lives. Zero makes Azure.Core's cache ask again on every request.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>When set, every call throws it.</summary>
    public Exception? Failure { get; set; }

    public int Calls => Volatile.Read(ref _calls);

    public IReadOnlyList<string[]> Scopes => [.. _scopes];

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        _scopes.Enqueue(requestContext.Scopes);
        return Failure is { } failure ? throw failure : new AccessToken(Token, DateTimeOffset.UtcNow + Lifetime);
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
        => ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}

/// <summary>Keeps every log line (level, event id, rendered message).</summary>
internal sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly ConcurrentQueue<(LogLevel Level, EventId Event, string Message)> _entries = new();

    public IReadOnlyList<(LogLevel Level, EventId Event, string Message)> Entries => [.. _entries];

    public IReadOnlyList<string> At(LogLevel level) => [.. _entries.Where(e => e.Level == level).Select(e => e.Message)];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => _entries.Enqueue((logLevel, eventId, formatter(state, exception)));
}

internal static class Until
{
    /// <summary>Waits for a state another thread brings about (a request served, a fetch finished); fails after 10 s.</summary>
    public static Task TrueAsync(Func<bool> condition, string what) => TrueAsync(() => Task.FromResult(condition()), what);

    /// <summary>The same, for a state that takes a call to observe.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting until " + what);
            await Task.Delay(5);
        }
    }
}
