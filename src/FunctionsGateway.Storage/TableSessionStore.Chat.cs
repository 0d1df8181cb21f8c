using Azure.Data.Tables;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Storage;

/// <summary>A session's chat history: <c>chat:{inverted ticks}-{guid}</c> rows in the session's partition.</summary>
internal sealed partial class TableSessionStore
{
    private static long lastChatTicks;

    public async Task AppendChatAsync(string sessionKey, ChatMessage message, CancellationToken cancellationToken)
    {
        TableKeys.Require(sessionKey, nameof(sessionKey));
        await Table.AddEntityAsync(SessionRunMapping.ToEntity(sessionKey, SessionRows.Chat(NextChatTicks(), Guid.NewGuid()), message), cancellationToken);
    }

    /// <summary>
    /// The first <paramref name="limit"/> rows of the chat range are the latest entries (the keys are inverted ticks), so
    /// this reads only them, however long the history, and turns them round to oldest first.
    /// </summary>
    public async Task<IReadOnlyList<ChatMessage>> ListChatAsync(string sessionKey, int limit, CancellationToken cancellationToken)
    {
        var list = new List<ChatMessage>();
        if (limit <= 0 || !IsSessionKey(sessionKey))
        {
            return list;
        }

        await foreach (var row in Table.QueryAsync<TableEntity>(Range(sessionKey, SessionRows.ChatPrefix), maxPerPage: Math.Min(limit, 1000), cancellationToken: cancellationToken))
        {
            list.Add(SessionRunMapping.ToChatMessage(row));
            if (list.Count == limit)
            {
                break;
            }
        }

        list.Reverse();
        return list;
    }

    public async Task ClearChatAsync(string sessionKey, CancellationToken cancellationToken)
    {
        if (!IsSessionKey(sessionKey))
        {
            return;
        }

        var rowKeys = new List<string>();
        string[] columns = [nameof(ITableEntity.RowKey)];
        await foreach (var row in Table.QueryAsync<TableEntity>(Range(sessionKey, SessionRows.ChatPrefix), select: columns, cancellationToken: cancellationToken))
        {
            rowKeys.Add(row.RowKey);
        }

        await DeleteRowsAsync(sessionKey, rowKeys, cancellationToken);
    }

    /// <summary>Write time in ticks, strictly increasing in this process, so entries appended here keep their order.</summary>
    private static long NextChatTicks()
    {
        var now = DateTime.UtcNow.Ticks;
        while (true)
        {
            var last = Interlocked.Read(ref lastChatTicks);
            var next = Math.Max(now, last + 1);
            if (Interlocked.CompareExchange(ref lastChatTicks, next, last) == last)
            {
                return next;
            }
        }
    }
}
