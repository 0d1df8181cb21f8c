using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using MessagePack;

namespace FunctionsGateway.IntegrationTests.Fuzz;

/// <summary>
/// One raw WebSocket connection to the local SignalR service: a handshake variant, then fuzzed frames cut into
/// WebSocket messages at random points (text or binary, sometimes fragmented). When the bytes end at a message
/// boundary, a <c>health</c> probe follows, and the connection must either answer it or close: never swallow it.
/// </summary>
public sealed class FrameCase : IFuzzCase
{
    public const string Surface = "frames";
    /// <summary>The local service's limit for one message, as Azure SignalR's: a longer length prefix is only waited on.</summary>
    public const int MaxMessageBytes = 1024 * 1024;

    /// <summary>How long an answer or a close may take; generous, as CI machines are slow and shared.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(8);

    private readonly FuzzHost host;
    private readonly int index;
    private readonly bool messagePack;
    private readonly string kind;
    private readonly HandshakeClass handshakeClass;
    private readonly FrameLayout layout;
    private readonly List<(byte[] Bytes, WebSocketMessageType Type, bool Fragmented)> chunks;
    private readonly string probeId;
    private readonly byte[] probe;
    private readonly bool invalidText;
    private readonly bool negotiate;
    private readonly bool graceful;
    private readonly (string Kind, string Token)? damagedToken;
    private string connectionId = "(not negotiated)";

    public FrameCase(FuzzHost host, int seed, int index)
    {
        this.host = host;
        this.index = index;
        var random = FuzzSeed.ForCase(seed, Surface, index);
        messagePack = random.Chance(0.45);
        var (handshakeKind, handshake, handshakeClass) = FrameFuzz.Handshake(random, messagePack);
        this.handshakeClass = handshakeClass;
        var (messagesKind, messages) = FrameFuzz.Messages(random, messagePack, index);
        kind = $"{(messagePack ? "MessagePack" : "JSON")}: {handshakeKind}; {messagesKind}";
        layout = FrameFuzz.Layout(messages, messagePack, MaxMessageBytes);
        chunks = [.. FrameFuzz.Chunks(random, handshake, messages).Select(c => (c, FrameFuzz.TypeFor(random, messagePack), random.Chance(0.15) && c.Length > 1))];
        probeId = "probe-" + index;
        var health = new JsonObject { ["method"] = "health" };
        probe = messagePack
            ? MessagePackFuzz.Frame(MessagePackFuzz.Invocation(random, probeId, "req", new JsonArray(health), perverse: false))
            : [.. Encoding.UTF8.GetBytes(HubMessages.Invocation(new Random(0), probeId, health).ToJsonString()), FrameFuzz.RecordSeparator];
        invalidText = chunks.Any(c => c.Type == WebSocketMessageType.Text && !System.Text.Unicode.Utf8.IsValid(c.Bytes));
        negotiate = random.Chance(0.8);
        graceful = random.Chance(0.7);
        damagedToken = random.Chance(0.05) ? FrameFuzz.DamagedToken(random, host.ClientAccessToken) : null;
    }

    /// <summary>What this case must see the service close for; a finding of that kind is reported a few times, then such cases are skipped.</summary>
    public string? Risk => damagedToken is null ? layout.MustClose : null;

    public string Describe()
    {
        if (damagedToken is { } damaged)
        {
            return $"{damaged.Kind}: {FuzzText.Text(damaged.Token)}";
        }

        var sent = string.Join(" | ", chunks.Select(c => $"{c.Type}{(c.Fragmented ? " in 2 fragments" : string.Empty)} {FuzzText.Bytes(c.Bytes)}"));
        return $"{kind}; connection {connectionId}; {layout}; sent {sent}";
    }

    public async Task<string?> RunAsync(CancellationToken cancellationToken)
    {
        using var socket = new ClientWebSocket();
        socket.Options.Proxy = null;
        if (damagedToken is { } damaged)
        {
            try
            {
                await socket.ConnectAsync(new Uri($"ws://{host.BaseUrl.Authority}/client/?hub=gateway&access_token={Uri.EscapeDataString(damaged.Token)}"), cancellationToken);
            }
            catch (WebSocketException)
            {
                host.Tally(Surface, "token refused");
                return null;
            }

            socket.Abort();
            return "the client endpoint accepted a damaged access token";
        }

        await socket.ConnectAsync(await ClientUrlAsync(cancellationToken), cancellationToken);
        var conversation = new Conversation(socket, messagePack);
        try
        {
            foreach (var (bytes, type, fragmented) in chunks)
            {
                if (!await conversation.TrySendAsync(bytes, type, fragmented, cancellationToken))
                {
                    break;
                }
            }

            var problem = await OutcomeAsync(conversation, cancellationToken);
            host.Tally(Surface, conversation.HandshakeAnswer is { } answer && answer != "{}" ? "handshake refused"
                : conversation.Replies.Any(r => r.Type == 3 && r.InvocationId == probeId) ? "probe answered"
                : conversation.Closed || conversation.Replies.Any(r => r.Type == 7) ? "closed by the service" : "left by the client");
            return problem;
        }
        finally
        {
            await conversation.LeaveAsync(graceful);
        }
    }

    private async Task<string?> OutcomeAsync(Conversation conversation, CancellationToken cancellationToken)
    {
        if (handshakeClass == HandshakeClass.Partial)
        {
            return null;
        }

        await conversation.WaitAsync(() => conversation.HandshakeAnswer is not null, Patience, cancellationToken);
        var accepted = conversation.HandshakeAnswer == "{}";
        switch (handshakeClass)
        {
            // A text message that is not UTF-8 ends the WebSocket before the service reads anything in it or after it.
            case HandshakeClass.Accepted when !accepted && !(conversation.Closed && conversation.HandshakeAnswer is null && invalidText):
                return "a valid handshake was not accepted: " + FuzzText.Text(conversation.HandshakeAnswer ?? (conversation.Closed ? "(closed)" : "(no answer)"));
            case HandshakeClass.Refused when accepted:
                return "an invalid handshake was accepted";
        }

        if (!accepted || (!layout.EndsAtBoundary && layout.MustClose is null))
        {
            // A message cut short: the service waits for the rest, as the hub protocol does, until the client leaves.
            return conversation.Problem;
        }

        if (layout.EndsAtBoundary)
        {
            await conversation.TrySendAsync(probe, messagePack ? WebSocketMessageType.Binary : WebSocketMessageType.Text, false, cancellationToken);
        }

        var answered = () => conversation.Replies.Any(r => r.Type == 3 && r.InvocationId == probeId);
        var closed = () => conversation.Closed || conversation.Replies.Any(r => r.Type == 7);
        await conversation.WaitAsync(() => answered() || closed(), Patience, cancellationToken);
        if (conversation.Problem is { } problem)
        {
            return problem;
        }

        if (layout.MustClose is { } reason && !closed())
        {
            return $"{reason} (frame {layout.MustCloseFrame}), yet the connection was {(answered() ? "kept open and the next call answered" : "neither closed nor answered")}: the hub protocol closes it";
        }

        return answered() || closed() ? null : $"the connection neither answered the {probeId} call nor closed within {Patience.TotalSeconds:0} s";
    }

    private async Task<Uri> ClientUrlAsync(CancellationToken cancellationToken)
    {
        var token = Uri.EscapeDataString(host.ClientAccessToken);
        var ws = $"ws://{host.BaseUrl.Authority}/client/?hub=gateway&access_token={token}";
        if (!negotiate)
        {
            return new Uri(ws);
        }

        // Negotiating first gives the connection id the gateway logs, so a log line can be traced to this case.
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(host.BaseUrl, "client/negotiate?hub=gateway&negotiateVersion=1"));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", host.ClientAccessToken);
        using var response = await host.Http.SendAsync(request, cancellationToken);
        var negotiated = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        connectionId = FuzzOracle.Text(negotiated?["connectionId"]) ?? "(negotiate failed)";
        host.CaseOfConnection[connectionId] = ($"{Surface} case {index}", this);
        return new Uri(ws + "&id=" + Uri.EscapeDataString(FuzzOracle.Text(negotiated?["connectionToken"]) ?? string.Empty));
    }

    public sealed record Reply(int Type, string? InvocationId, string? Error);

    /// <summary>The client side of the socket: sends, and reads back the handshake answer and hub messages.</summary>
    private sealed class Conversation(ClientWebSocket socket, bool messagePack)
    {
        private readonly List<byte> received = [];
        private readonly byte[] buffer = new byte[16 * 1024];

        public string? HandshakeAnswer { get; private set; }

        public bool Closed { get; private set; }

        public List<Reply> Replies { get; } = [];

        /// <summary>The first thing wrong with an answer: a 5xx behind an invocation, or a result no refusal may have.</summary>
        public string? Problem { get; private set; }

        public async Task<bool> TrySendAsync(byte[] bytes, WebSocketMessageType type, bool fragmented, CancellationToken cancellationToken)
        {
            try
            {
                var split = fragmented ? bytes.Length / 2 : 0;
                if (fragmented)
                {
                    await socket.SendAsync(bytes.AsMemory(0, split), type, false, cancellationToken);
                }

                await socket.SendAsync(bytes.AsMemory(split), type, true, cancellationToken);
                return true;
            }
            catch (Exception ex) when (ex is WebSocketException or IOException)
            {
                // The service closed first: what it sent before that is still read (and then the close).
                return false;
            }
        }

        public async Task WaitAsync(Func<bool> done, TimeSpan patience, CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(patience);
            while (!done() && !Closed)
            {
                try
                {
                    var result = await socket.ReceiveAsync(buffer, timeout.Token);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        Closed = true;
                        return;
                    }

                    received.AddRange(buffer.AsSpan(0, result.Count));
                    Parse();
                }
                catch (Exception ex) when (ex is WebSocketException or IOException)
                {
                    Closed = true;
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // Out of patience: the caller judges what it has (the socket is aborted by the cancellation).
                    return;
                }
            }
        }

        public async Task LeaveAsync(bool graceful)
        {
            if (graceful && socket.State == WebSocketState.Open)
            {
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
                    return;
                }
                catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException)
                {
                    // Closing races the service's own close; aborting below ends it either way.
                }
            }

            socket.Abort();
        }

        private void Parse()
        {
            while (true)
            {
                if (HandshakeAnswer is null || !messagePack)
                {
                    var end = received.IndexOf(FrameFuzz.RecordSeparator);
                    if (end < 0)
                    {
                        return;
                    }

                    var text = received.GetRange(0, end).ToArray();
                    received.RemoveRange(0, end + 1);
                    if (HandshakeAnswer is null)
                    {
                        HandshakeAnswer = Encoding.UTF8.GetString(text);
                        continue;
                    }

                    var message = JsonNode.Parse(text) as JsonObject;
                    Add(message?["type"]?.GetValue<int>() ?? -1, FuzzOracle.Text(message?["invocationId"]), FuzzOracle.Text(message?["error"]), message?["result"]);
                    continue;
                }

                if (!TryTakeMessagePack())
                {
                    return;
                }
            }
        }

        private bool TryTakeMessagePack()
        {
            int length = 0, used = 0;
            for (var shift = 0; ; shift += 7)
            {
                if (used == received.Count)
                {
                    return false;
                }

                var b = received[used++];
                length |= (b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    break;
                }
            }

            if (received.Count - used < length)
            {
                return false;
            }

            var frame = received.GetRange(used, length).ToArray();
            received.RemoveRange(0, used + length);
            var reader = new MessagePackReader(frame);
            var count = reader.ReadArrayHeader();
            var type = reader.ReadInt32();
            if (type == 3)
            {
                reader.Skip();
                var id = reader.ReadString();
                var resultKind = reader.ReadInt32();
                Add(3, id, resultKind == 1 ? reader.ReadString() : null, resultKind == 3 ? MessagePackJson.Read(ref reader) : null);
            }
            else
            {
                Add(type, null, type == 7 && count > 1 ? reader.ReadString() : null, null);
            }

            return true;
        }

        private void Add(int type, string? invocationId, string? error, JsonNode? result)
        {
            Replies.Add(new Reply(type, invocationId, error));
            if (type != 3)
            {
                return;
            }

            if (error?.Contains("status code 5", StringComparison.Ordinal) == true)
            {
                Problem ??= $"invocation {invocationId} failed upstream: {error}";
            }
            else if (result is not null && FuzzOracle.CheckResult(result) is { } wrong)
            {
                Problem ??= $"invocation {invocationId}: {wrong}";
            }
        }
    }
}
