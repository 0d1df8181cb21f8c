using System.Globalization;
using FunctionsGateway.Client;

namespace FunctionsGateway.Cli;

/// <summary><c>gateway devices list|approve|reject</c> over the admin HTTP API.</summary>
internal static class DevicesCommand
{
    private static readonly string[] PendingHeader = ["REQUEST", "DEVICE", "REASON", "ROLE", "REQUESTED", "APPROVED", "CLIENT", "PLATFORM", "EXPIRES"];
    private static readonly string[] PairedHeader = ["DEVICE", "ROLES", "SCOPES", "CLIENT", "PLATFORM", "INTERNAL", "PAIRED"];

    public static async Task<int> RunAsync(CliArguments args, CliSettings settings, CliConsole console, CancellationToken cancellationToken)
    {
        var action = args.Positionals.Count > 1 ? args.Positionals[1] : throw new CliUsageException("devices needs list, approve <requestId> or reject <requestId>");
        args.RequireOnly("devices " + action, action == "list" ? ["admin-key", "json"] : ["admin-key"]);
        var key = args.GetOrEnvironment("admin-key", GatewayAdminClient.AdminKeyVariable, console.Environment)
            ?? throw new CliUsageException($"devices needs the admin key: --admin-key or {GatewayAdminClient.AdminKeyVariable}");

        try
        {
            return await RunActionAsync(args, settings, key, action, console, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            await console.Error.WriteLineAsync($"error: could not reach the admin API at {settings.Url.GetLeftPart(UriPartial.Authority)}: {ex.Message}");
            return ExitCodes.Failure;
        }
    }

    private static async Task<int> RunActionAsync(CliArguments args, CliSettings settings, string key, string action, CliConsole console, CancellationToken cancellationToken)
    {
        using var admin = new GatewayAdminClient(settings.Url, key);
        switch (action)
        {
            case "list":
                RequireArguments(args, action, 0);
                var list = await admin.ListAsync(cancellationToken);
                await console.Out.WriteLineAsync(args.Has("json") ? CliApp.ToIndentedJson(list.Json) : FormatList(list, DateTimeOffset.UtcNow));
                return ExitCodes.Success;
            case "approve":
            case "reject":
                RequireArguments(args, action, 1);
                var requestId = args.Positionals[2];
                var decision = action == "approve"
                    ? await admin.ApproveAsync(requestId, cancellationToken)
                    : await admin.RejectAsync(requestId, cancellationToken);
                var detail = decision.Role is null ? string.Empty : $" (role {decision.Role}, scopes {CliApp.Join(decision.Scopes)})";
                await console.Out.WriteLineAsync($"{decision.Decision}: request {decision.RequestId}, device {CliApp.Or(decision.DeviceId)}{detail}");
                return ExitCodes.Success;
            default:
                throw new CliUsageException($"unknown devices action: {action} (list, approve or reject)");
        }
    }

    public static string FormatList(PairingList list, DateTimeOffset now)
    {
        var pending = new List<string[]> { PendingHeader };
        foreach (var p in list.Pending)
        {
            var left = TimeSpan.FromMilliseconds(Math.Max(0, p.ExpiresAtMs - now.ToUnixTimeMilliseconds()));
            pending.Add([p.RequestId, Short(p.DeviceId), p.Reason, p.Role, CliApp.Join(p.RequestedScopes), CliApp.Join(p.ApprovedScopes),
                CliApp.Or(p.ClientId), CliApp.Or(p.Platform), p.ExpiresAtMs == 0 ? "-" : $"in {(int)left.TotalMinutes}m{left.Seconds:00}s"]);
        }

        var paired = new List<string[]> { PairedHeader };
        foreach (var d in list.Paired)
        {
            paired.Add([Short(d.DeviceId), CliApp.Join(d.Roles), CliApp.Join(d.Scopes), CliApp.Or(d.ClientId), CliApp.Or(d.Platform),
                d.Internal ? "yes" : "no", d.PairedAtMs == 0 ? "-" : DateTimeOffset.FromUnixTimeMilliseconds(d.PairedAtMs).ToString("yyyy-MM-dd HH:mm'Z'", CultureInfo.InvariantCulture)]);
        }

        var text = new System.Text.StringBuilder();
        text.Append("Pending requests (").Append(list.Pending.Count).AppendLine(")");
        AppendTable(text, pending);
        text.AppendLine();
        text.Append("Paired devices (").Append(list.Paired.Count).AppendLine(")");
        AppendTable(text, paired);
        return text.ToString().TrimEnd();
    }

    private static void RequireArguments(CliArguments args, string action, int count)
    {
        var given = args.Positionals.Count - 2;
        if (given != count)
        {
            throw new CliUsageException(count == 0 ? $"devices {action} takes no arguments" : $"devices {action} needs exactly one request id");
        }
    }

    /// <summary>Device ids are 64 hex characters; 16 are plenty to tell devices apart in a table.</summary>
    private static string Short(string id) => id.Length > 16 ? id[..16] + "…" : CliApp.Or(id);

    private static void AppendTable(System.Text.StringBuilder text, List<string[]> rows)
    {
        if (rows.Count == 1)
        {
            text.AppendLine("  (none)");
            return;
        }

        var widths = new int[rows[0].Length];
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        foreach (var row in rows)
        {
            text.Append("  ");
            for (var i = 0; i < row.Length; i++)
            {
                text.Append(i == row.Length - 1 ? row[i] : row[i].PadRight(widths[i] + 2));
            }

            text.AppendLine();
        }
    }
}
