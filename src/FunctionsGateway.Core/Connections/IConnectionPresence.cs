namespace FunctionsGateway.Core.Connections;

/// <summary>What the service answered about one connection.</summary>
public enum ConnectionPresence
{
    /// <summary>The service holds the connection.</summary>
    Present,

    /// <summary>The service does not know the connection: it has ended, and no connection reuses its id.</summary>
    Gone,

    /// <summary>The service could not be asked (unreachable, refused, timed out): nothing may be concluded.</summary>
    Unknown,
}

/// <summary>Asks the service that holds the gateway's connections whether one still exists.</summary>
public interface IConnectionPresence
{
    /// <summary>Never throws for a service fault: that is <see cref="ConnectionPresence.Unknown"/>.</summary>
    Task<ConnectionPresence> CheckAsync(string connectionId, CancellationToken cancellationToken);
}

/// <summary>Without a service to ask (the core on its own), every connection is <see cref="ConnectionPresence.Unknown"/>.</summary>
public sealed class UnknownConnectionPresence : IConnectionPresence
{
    public Task<ConnectionPresence> CheckAsync(string connectionId, CancellationToken cancellationToken) => Task.FromResult(ConnectionPresence.Unknown);
}

/// <summary>
/// The service whose connections this gateway's connection rows describe (its endpoint). Each row is stamped with it, and
/// a sweep looks only at rows of its own service: only that service can say whether a connection exists, so two
/// gateways (or local hosts, each its own service) sharing one storage account never sweep each other's live rows.
/// </summary>
public sealed record ConnectionScope(string Service)
{
    /// <summary>No service known: rows are not stamped, and the connection sweep has nothing to look at.</summary>
    public static ConnectionScope None { get; } = new(string.Empty);

    public bool IsNone => Service.Length == 0;
}
