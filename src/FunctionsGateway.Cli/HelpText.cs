namespace FunctionsGateway.Cli;

internal static class HelpText
{
    public const string Text = """
        gateway - command-line client for FunctionsGateway

        Usage:
          gateway pair [--role operator|node] [--scopes LIST] [--timeout SECONDS] [--poll SECONDS]
               [--poll-max SECONDS]
          gateway call <method> [json-params | -] [--role operator|node] [--scopes LIST]
          gateway devices list [--json] [--admin-key KEY]
          gateway devices approve <requestId> [--admin-key KEY]
          gateway devices reject <requestId> [--admin-key KEY]
          gateway worker --echo [--agent-id ID ...] [--concurrency N] [--delay SECONDS]
                         [--timeout SECONDS] [--poll SECONDS] [--poll-max SECONDS]
          gateway --help | --version

        Commands:
          pair             Connect with this device's identity (created on first use). If the gateway
                           needs an approval, print the pending request id and wait, reconnecting after
                           --poll seconds, then twice as long each time up to --poll-max, until it is
                           approved; then print the device, role and scopes.
          call             Connect, call one method and print its payload as indented JSON. Params are
                           a JSON value, or '-' to read it from standard input.
          devices list     Admin API: pending pairing requests and paired devices.
          devices approve  Admin API: approve a pending request by id.
          devices reject   Admin API: reject a pending request by id.
          worker           Run an agent worker (role node): connect, waiting for approval like pair,
                           then answer each run the gateway offers with "echo: <task>" (--echo, the
                           built-in agent), printing one line per run event:
                             run <runId> offered agent=<id> lane=<lane> timeoutMs=<ms>
                             run <runId> started | completed "<output>" | failed "<error>"
                                 | cancelled "<reason>" | refused "<why>"
                           Reconnects when the connection drops; Ctrl+C or SIGTERM stops it (exit 0).
                           A revoked device token or a removed device stops it too (exit 4): pair the
                           device again to bring it back.

        Global options:
          --url URL          Gateway base URL (env GATEWAY_URL; default http://127.0.0.1:7071)
          --token TOKEN      Shared gateway token, used until this device holds a device token for
                             the role (env GATEWAY_SHARED_TOKEN)
          --identity PATH    Device identity file (env GATEWAY_IDENTITY; default
                             ~/.functionsgateway/identity.json, created 0600)
          --msgpack          Use the MessagePack hub protocol instead of JSON
          -h, --help         Show this help

        Command options:
          --role ROLE        operator (default) or node
          --scopes LIST      Comma-separated: operator.admin, operator.write, operator.read,
                             operator.approvals, operator.pairing. Default for pair: operator.read
                             (none for node); for call: the least privilege the method needs.
          --timeout SECONDS  pair, worker: how long to wait for approval (default 300)
          --poll SECONDS     pair, worker: first wait between reconnects while waiting (default 2)
          --poll-max SECONDS pair, worker: longest wait between reconnects while waiting (default 30)
          --echo             worker: answer each run with its task, prefixed "echo: "
          --agent-id ID      worker: serve only this agent id; repeat it (or separate with commas)
                             for several. Default: every agent
          --concurrency N    worker: runs executed at once (default 1); more offers wait unclaimed
          --delay SECONDS    worker: wait this long before answering (to exercise cancel and timeouts)
          --admin-key KEY    devices: the admin function key (env GATEWAY_ADMIN_KEY)
          --json             devices list: print the JSON body instead of tables

        Exit codes:
          0    success
          1    gateway or admin API error, connection failure, unusable identity file
          2    pair, worker: timed out waiting for approval
          3    pair, worker: the request was rejected, expired or superseded (a new one is pending)
          4    worker: the device's token was revoked or the device removed; it did not reconnect
          64   usage error: unknown command or option, bad value
          130  interrupted

        Prefer GATEWAY_SHARED_TOKEN and GATEWAY_ADMIN_KEY to --token and --admin-key: a command
        line is visible to other users of the machine.

        """;
}
