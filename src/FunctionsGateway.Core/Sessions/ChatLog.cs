using FunctionsGateway.Core.Events;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Core.Sessions;

/// <summary>A session's chat history: each entry is stored, then sent to the session's subscribers as <c>chat</c>.</summary>
public sealed class ChatLog(ISessionStore sessions, IGatewayNotifier notifier, TimeProvider time)
{
    public async Task<ChatMessage> AppendAsync(string sessionKey, string role, string text, string? runId, CancellationToken cancellationToken)
    {
        var message = new ChatMessage(Guid.NewGuid().ToString("N"), role, text, runId, time.GetUtcNow().ToUnixTimeMilliseconds());
        await sessions.AppendChatAsync(sessionKey, message, cancellationToken);
        await notifier.PublishAsync(EventAudience.Session(sessionKey), GatewayEvents.Chat, new ChatEvent(sessionKey, message), cancellationToken);
        return message;
    }
}
