using FunctionsGateway.SignalR.Serverless;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Hosting;

/// <summary>
/// The upstream's second way in, for a request whose <c>X-ASRS-Signature</c> did not verify (a keyless service sends
/// none): an Entra bearer token from the service's managed identity. Every refusal is a 401, logged with its reason.
/// </summary>
/// <param name="bearer">The bearer check, owned (disposed) by this instance; null when the bearer path is not configured.</param>
/// <param name="logger">For the refusals.</param>
public sealed partial class UpstreamAuthentication(UpstreamBearerValidator? bearer, ILogger<UpstreamAuthentication> logger) : IDisposable
{
    /// <summary>True when the bearer path is configured (<c>Gateway__Upstream__*</c>).</summary>
    public bool AcceptsBearer => bearer is not null;

    /// <summary>
    /// Null when the request's bearer token is valid; otherwise the 401 to answer. Only the authentication headers are
    /// read (and the hub and event, for the log line).
    /// </summary>
    public async ValueTask<HttpReply?> RefuseUnsignedAsync(HttpRequest request, UpstreamHeaders headers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(headers);
        var signed = headers.Signature is not null;
        if (bearer is null)
        {
            LogRefused(logger, signed ? "bad signature" : "no signature", headers.Hub, headers.Event);
            return HttpReply.Text(401, "invalid or missing X-ASRS-Signature");
        }

        var outcome = await bearer.ValidateAsync(request.Headers, cancellationToken);
        if (outcome == UpstreamBearerOutcome.Accepted)
        {
            return null;
        }

        var reason = outcome switch
        {
            UpstreamBearerOutcome.NoToken => signed ? "bad signature" : "no signature or token",
            UpstreamBearerOutcome.KeysUnavailable => "token not checked: the OpenID metadata or its keys could not be read from " + bearer.MetadataAddress,
            _ => (signed ? "bad signature; token: " : "token: ") + Describe(outcome),
        };
        LogRefused(logger, reason, headers.Hub, headers.Event);
        return HttpReply.Text(401, "invalid or missing X-ASRS-Signature or bearer token");
    }

    public void Dispose() => bearer?.Dispose();

    /// <summary>The reason category as the log line writes it.</summary>
    public static string Describe(UpstreamBearerOutcome outcome) => outcome switch
    {
        UpstreamBearerOutcome.NoToken => "no token",
        UpstreamBearerOutcome.Malformed => "malformed",
        UpstreamBearerOutcome.WrongAlgorithm => "wrong algorithm",
        UpstreamBearerOutcome.UnknownKey => "unknown signing key",
        UpstreamBearerOutcome.BadSignature => "bad signature",
        UpstreamBearerOutcome.WrongIssuer => "wrong issuer",
        UpstreamBearerOutcome.WrongAudience => "wrong audience",
        UpstreamBearerOutcome.Expired => "expired",
        UpstreamBearerOutcome.NotYetValid => "not yet valid",
        UpstreamBearerOutcome.BadLifetime => "no or bad lifetime",
        UpstreamBearerOutcome.NoPrincipal => "no oid",
        UpstreamBearerOutcome.WrongPrincipal => "another oid",
        UpstreamBearerOutcome.KeysUnavailable => "keys unavailable",
        _ => "invalid",
    };

    [LoggerMessage(EventId = 500, Level = LogLevel.Warning, Message = "upstream request refused: {Reason} (hub {Hub}, event {Event})")]
    private static partial void LogRefused(ILogger logger, string reason, string? hub, string? @event);
}

public static class UpstreamAuthServiceCollectionExtensions
{
    /// <summary>The <c>Gateway__Upstream__*</c> settings (checked at start) and the upstream's bearer check.</summary>
    public static IServiceCollection AddUpstreamAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<UpstreamAuthOptions>().Bind(configuration.GetSection(UpstreamAuthOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UpstreamAuthOptions>, UpstreamAuthOptionsValidator>());
        services.TryAddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<UpstreamAuthOptions>>().Value.ToBearerSettings();
            var bearer = settings is null ? null : new UpstreamBearerValidator(settings, null, sp.GetRequiredService<TimeProvider>());
            return new UpstreamAuthentication(bearer, sp.GetRequiredService<ILogger<UpstreamAuthentication>>());
        });
        return services;
    }
}
