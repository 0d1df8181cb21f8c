using System.Security.Claims;
using System.Text.Json;
using FunctionsGateway.SignalR.Serverless;
using FunctionsGateway.Hosting;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace FunctionsGateway.LocalHost.ServiceEmulation;

/// <summary>
/// What Azure SignalR Service offers a serverless app, locally: the client endpoint <c>/client/?hub=</c> (access
/// tokens checked, including <c>aud</c> and <c>exp</c>) and the data-plane REST subset the gateway uses.
/// </summary>
internal static class ServiceEndpoints
{
    public static void MapLocalSignalRService(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<SignalRServiceOptions>();
        var negotiate = app.Services.GetRequiredService<NegotiateResponseFactory>();
        var time = app.Services.GetRequiredService<TimeProvider>();

        app.UseWhen(c => c.Request.Path.StartsWithSegments("/client"), branch => branch.Use(async (context, next) =>
        {
            var hubs = context.Request.Query["hub"];
            if (hubs.Count != 1 || !SignalRHubName.IsValid(hubs[0]))
            {
                context.Response.StatusCode = 400;
                await context.Response.WriteAsync("exactly one valid 'hub' query parameter is required");
                return;
            }

            var token = BearerToken(context) ?? context.Request.Query["access_token"].ToString();
            if (!ServiceJwt.TryValidate(token, options.AccessKeys, negotiate.GetClientAudience(hubs[0]!), time.GetUtcNow(), out var payload, out var error) || payload is null)
            {
                context.Response.StatusCode = 401;
                await context.Response.WriteAsync("invalid access token: " + error);
                return;
            }

            context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, payload.UserId ?? string.Empty)], "asrs"));
            await next(context);
        }));
        app.MapConnectionHandler<ClientConnectionHandler>("/client", o =>
        {
            o.Transports = HttpTransportType.WebSockets | HttpTransportType.ServerSentEvents | HttpTransportType.LongPolling;
            o.ApplicationMaxBufferSize = ClientConnectionHandler.MaxMessageBytes;
            o.TransportMaxBufferSize = ClientConnectionHandler.MaxMessageBytes;
        });

        var rest = app.MapGroup("/api/hubs/{hub}").AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var raw = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? http.Request.Path.Value ?? string.Empty;
            var path = raw.Split('?')[0];
            var audienceBase = options.Connection.AudienceBase.TrimEnd('/');
            var apiVersion = http.Request.Query["api-version"].ToString();
            string[] audiences = [$"{audienceBase}{path}?api-version={apiVersion}", audienceBase + path];
            return ServiceJwt.TryValidate(BearerToken(http), options.AccessKeys, audiences, time.GetUtcNow(), ServiceJwt.DefaultClockSkew, out _, out var error)
                ? await next(context)
                : Results.Text("invalid bearer token: " + error, statusCode: 401);
        });

        rest.MapPost("/:send", (string hub, HttpRequest request, LocalSignalRService service) =>
            SendAsync(request, service.All(hub).Where(NotExcluded(request))));
        rest.MapPost("/connections/{connectionId}/:send", (string hub, string connectionId, HttpRequest request, LocalSignalRService service) =>
            SendAsync(request, service.Find(hub, connectionId) is { } c ? [c] : []));
        rest.MapPost("/users/{user}/:send", (string hub, string user, HttpRequest request, LocalSignalRService service) =>
            SendAsync(request, service.ByUser(hub, user)));
        rest.MapPost("/groups/{group}/:send", (string hub, string group, HttpRequest request, LocalSignalRService service) =>
            SendAsync(request, service.ByGroup(hub, group).Where(NotExcluded(request))));
        rest.MapPut("/groups/{group}/connections/{connectionId}", (string hub, string group, string connectionId, HttpContext http, LocalSignalRService service) =>
            service.AddToGroup(hub, group, connectionId) ? Results.Ok() : NotExisted(http, "Error.Connection.NotExisted"));
        rest.MapDelete("/groups/{group}/connections/{connectionId}", (string hub, string group, string connectionId, LocalSignalRService service) =>
        {
            service.RemoveFromGroup(hub, group, connectionId);
            return Results.Ok();
        });
        rest.MapDelete("/connections/{connectionId}", async (string hub, string connectionId, string? reason, LocalSignalRService service) =>
        {
            // As the service does: closing a connection that is already gone (or never was) succeeds.
            if (service.Find(hub, connectionId) is { } connection)
            {
                await connection.CloseAsync(reason);
            }

            return Results.Ok();
        });
        rest.MapMethods("/connections/{connectionId}", ["HEAD"], (string hub, string connectionId, LocalSignalRService service) =>
            service.Find(hub, connectionId) is null ? Results.NotFound() : Results.Ok());
    }

    private static async Task<IResult> SendAsync(HttpRequest request, IEnumerable<LocalConnection> targets)
    {
        using var doc = await JsonDocument.ParseAsync(request.Body);
        var root = doc.RootElement;
        var target = (root.TryGetProperty("target", out var t) || root.TryGetProperty("Target", out t)) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (string.IsNullOrEmpty(target))
        {
            return Results.BadRequest("target is required");
        }

        var args = root.TryGetProperty("arguments", out var a) || root.TryGetProperty("Arguments", out a) ? a.GetRawText() : "[]";
        var argBytes = System.Text.Encoding.UTF8.GetBytes(args);
        foreach (var connection in targets)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(argBytes.Length + 64);
            HubInvocationWriter.WriteInvocation(buffer, connection.Protocol, target, argBytes);
            try
            {
                await connection.WriteFramedAsync(buffer.WrittenMemory, connection.Closing);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
                // Closing: the message has nowhere to go, as with the service.
            }
        }

        return Results.Accepted();
    }

    private static Func<LocalConnection, bool> NotExcluded(HttpRequest request)
    {
        var excluded = request.Query["excluded"];
        return c => !excluded.Contains(c.ConnectionId);
    }

    private static IResult NotExisted(HttpContext http, string code)
    {
        http.Response.Headers["x-ms-error-code"] = code;
        return Results.NotFound();
    }

    private static string? BearerToken(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }
}
