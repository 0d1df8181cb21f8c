using FunctionsGateway.Client;

namespace FunctionsGateway.IntegrationTests.Infrastructure;

/// <summary>The admin list is paged, and the shared Azurite holds every test's devices: a lookup reads every page.</summary>
public static class AdminListPages
{
    public static async Task<(List<PendingPairingRequest> Pending, List<PairedDevice> Paired)> ListAllAsync(this GatewayAdminClient admin)
    {
        var pending = new List<PendingPairingRequest>();
        var paired = new List<PairedDevice>();
        string? next = null;
        do
        {
            var page = await admin.ListAsync(500, next);
            pending.AddRange(page.Pending);
            paired.AddRange(page.Paired);
            next = page.Next;
        }
        while (next is not null);

        return (pending, paired);
    }
}
