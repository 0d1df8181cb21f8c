using System.Collections.Concurrent;

namespace FunctionsGateway.Hosting;

/// <summary>
/// Counts the calls each connection has inside the gateway, so one connection can hold at most a fixed number of
/// them. A connection with none in flight has no entry: the table only ever holds connections that are busy right now.
/// </summary>
internal sealed class InFlightCalls
{
    private readonly ConcurrentDictionary<string, int> counts = new(StringComparer.Ordinal);

    /// <summary>Takes a slot for <paramref name="connectionId"/>, or returns false when it already holds <paramref name="limit"/>.</summary>
    public bool TryEnter(string connectionId, int limit)
    {
        while (true)
        {
            if (counts.TryGetValue(connectionId, out var current))
            {
                if (current >= limit)
                {
                    return false;
                }

                if (counts.TryUpdate(connectionId, current + 1, current))
                {
                    return true;
                }
            }
            else if (counts.TryAdd(connectionId, 1))
            {
                return true;
            }
        }
    }

    /// <summary>Gives back a slot taken by <see cref="TryEnter"/>.</summary>
    public void Exit(string connectionId)
    {
        while (true)
        {
            var current = counts[connectionId];
            if (current == 1
                ? counts.TryRemove(new KeyValuePair<string, int>(connectionId, 1))
                : counts.TryUpdate(connectionId, current - 1, current))
            {
                return;
            }
        }
    }

    /// <summary>Calls in flight for <paramref name="connectionId"/> now.</summary>
    public int this[string connectionId] => counts.GetValueOrDefault(connectionId);
}
