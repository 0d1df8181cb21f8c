namespace FunctionsGateway.Core.Pairing;

/// <summary>Pending requests by request id, so approvals resolve and lists run without a scan.</summary>
public interface IPairingRequestIndex
{
    Task AddAsync(PendingRequestRecord request, CancellationToken cancellationToken);

    /// <summary>The indexed request (its device and summary fields), or null.</summary>
    Task<PendingRequestRecord?> FindAsync(string requestId, CancellationToken cancellationToken);

    Task DeleteAsync(string requestId, CancellationToken cancellationToken);

    Task<IReadOnlyList<PendingRequestRecord>> ListAsync(CancellationToken cancellationToken);
}
