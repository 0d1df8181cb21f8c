using Microsoft.AspNetCore.Http;

namespace FunctionsGateway.Hosting;

/// <summary>
/// The admin pairing routes as both hosts serve them: <see cref="AdminPairingEndpoint"/> under the storage deadline
/// (<see cref="StorageCallGuard"/>), so a stalled storage account answers 503 with a JSON error in either host.
/// </summary>
public sealed class AdminPairingApi(AdminPairingEndpoint endpoint, StorageCallGuard guard)
{
    public Task<HttpReply> ListAsync(HttpRequest request, CancellationToken cancellationToken)
        => guard.RunAsync("admin pairing list", ct => endpoint.ListAsync(request, ct), cancellationToken);

    public Task<HttpReply> ApproveAsync(string requestId, CancellationToken cancellationToken)
        => guard.RunAsync("admin pairing approve", ct => endpoint.ApproveAsync(requestId, ct), cancellationToken);

    public Task<HttpReply> RejectAsync(string requestId, CancellationToken cancellationToken)
        => guard.RunAsync("admin pairing reject", ct => endpoint.RejectAsync(requestId, ct), cancellationToken);
}
