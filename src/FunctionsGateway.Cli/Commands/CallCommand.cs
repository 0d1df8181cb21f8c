using System.Text.Json;
using FunctionsGateway.Client;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Cli;

/// <summary><c>gateway call &lt;method&gt; [json-params]</c>: connect, call one method, print the payload.</summary>
internal static class CallCommand
{
    public static async Task<int> RunAsync(CliArguments args, CliSettings settings, CliConsole console, CancellationToken cancellationToken)
    {
        args.RequireOnly("call", "role", "scopes");
        if (args.Positionals.Count < 2)
        {
            throw new CliUsageException("call needs a method, e.g. gateway call status");
        }

        if (args.Positionals.Count > 3)
        {
            throw new CliUsageException($"call takes a method and at most one JSON params argument, got: {args.Positionals[3]}");
        }

        var method = args.Positionals[1];
        var parameters = args.Positionals.Count == 3 ? await ParseParamsAsync(args.Positionals[2], console) : (JsonElement?)null;
        var role = CliSettings.ParseRole(args);
        var scopes = CliSettings.ParseScopes(args, role == GatewayRoles.Operator ? GatewayClientOptions.LeastPrivilegeScopes(method) : []);

        await using var client = await GatewayClient.ConnectAsync(settings.ToClientOptions(role, scopes), cancellationToken);
        var payload = await client.InvokeAsync(method, parameters, cancellationToken);
        payload = KeepRotatedToken(method, payload, client, settings, role);
        if (payload.ValueKind != JsonValueKind.Undefined)
        {
            await console.Out.WriteLineAsync(CliApp.ToIndentedJson(payload));
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// Rotating our own token returns the only copy of the new one: it goes into the identity file (the old one is
    /// dead) and is redacted from what is printed.
    /// </summary>
    private static JsonElement KeepRotatedToken(string method, JsonElement payload, GatewayClient client, CliSettings settings, string role)
    {
        if (method != GatewayMethods.DeviceTokenRotate || payload.ValueKind != JsonValueKind.Object
            || !payload.TryGetProperty("deviceToken", out var token) || token.ValueKind != JsonValueKind.String
            || !payload.TryGetProperty("deviceId", out var deviceId) || deviceId.GetString() != client.DeviceId)
        {
            return payload;
        }

        var rotatedRole = payload.TryGetProperty("role", out var r) && r.GetString() is { Length: > 0 } name ? name : role;
        using (var identity = DeviceIdentityStore.LoadOrCreate(settings.IdentityPath))
        {
            identity.SaveDeviceToken(rotatedRole, token.GetString()!, client.Scopes);
        }

        var redacted = System.Text.Json.Nodes.JsonNode.Parse(payload.GetRawText())!.AsObject();
        redacted["deviceToken"] = "(saved to the identity file)";
        return JsonSerializer.SerializeToElement(redacted);
    }

    /// <summary>A JSON value, or <c>-</c> for standard input.</summary>
    public static async Task<JsonElement> ParseParamsAsync(string text, CliConsole console)
    {
        if (text == "-")
        {
            text = await console.In.ReadToEndAsync();
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new CliUsageException($"params are not valid JSON: {ex.Message}");
        }
    }
}
