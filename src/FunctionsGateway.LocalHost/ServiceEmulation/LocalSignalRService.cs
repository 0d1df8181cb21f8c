using System.Collections.Concurrent;
using FunctionsGateway.SignalR.Serverless;

namespace FunctionsGateway.LocalHost.ServiceEmulation;

/// <summary>The local service's state: live connections by id, by user and by group, for the REST API to address.</summary>
internal sealed class LocalSignalRService
{
    private readonly ConcurrentDictionary<string, LocalConnection> connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> groups = new(StringComparer.Ordinal);

    public int Count => connections.Count;

    public void Add(LocalConnection connection) => connections[connection.ConnectionId] = connection;

    public void Remove(LocalConnection connection)
    {
        connections.TryRemove(connection.ConnectionId, out _);
        foreach (var group in connection.Groups.Keys)
        {
            if (groups.TryGetValue(Key(connection.Hub, group), out var members))
            {
                members.TryRemove(connection.ConnectionId, out _);
            }
        }
    }

    public LocalConnection? Find(string hub, string connectionId)
        => connections.TryGetValue(connectionId, out var c) && SignalRHubName.EqualsIgnoreCase(c.Hub, hub) ? c : null;

    public IEnumerable<LocalConnection> ByUser(string hub, string userId)
        => connections.Values.Where(c => SignalRHubName.EqualsIgnoreCase(c.Hub, hub) && c.UserId == userId);

    public IEnumerable<LocalConnection> ByGroup(string hub, string group)
        => groups.TryGetValue(Key(hub, group), out var members)
            ? members.Keys.Select(id => connections.GetValueOrDefault(id)).OfType<LocalConnection>()
            : [];

    public IEnumerable<LocalConnection> All(string hub)
        => connections.Values.Where(c => SignalRHubName.EqualsIgnoreCase(c.Hub, hub));

    public bool AddToGroup(string hub, string group, string connectionId)
    {
        var connection = Find(hub, connectionId);
        if (connection is null)
        {
            return false;
        }

        groups.GetOrAdd(Key(hub, group), _ => new ConcurrentDictionary<string, byte>(StringComparer.Ordinal))[connectionId] = 0;
        connection.Groups[group] = 0;
        return true;
    }

    public bool RemoveFromGroup(string hub, string group, string connectionId)
    {
        var connection = Find(hub, connectionId);
        connection?.Groups.TryRemove(group, out _);
        return groups.TryGetValue(Key(hub, group), out var members) && members.TryRemove(connectionId, out _);
    }

    private static string Key(string hub, string group) => SignalRHubName.Normalize(hub) + "\n" + group;
}
