using FunctionsGateway.Core.Pairing;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Core.Maintenance;

/// <summary>
/// The pairing part of the periodic sweep: decisions whose follow-ups never finished (their caller never heard back),
/// older than <see cref="DecisionFollowUps.SweepAge"/> - one query for them, then per record its follow-ups; expired pending requests (their device row and index row), index rows that
/// point at no live request any more, decisions remembered past <see cref="PairingLimits.ResolvedRetention"/>, and
/// address ledger rows whose every entry expired. Reads only rows that are stale by their keys or times; every delete
/// is conditional, so two sweeps at once each remove a row at most once between them.
/// </summary>
public sealed class PairingSweepStep(
    IPairingRequestIndex index,
    IDeviceStore devices,
    PairingRequests requests,
    PendingLimits limits,
    DecisionFollowUps followUps,
    IOptions<PairingLimits> options) : ISweepStep
{
    public string Name => "pairing";

    public async Task<SweepStepResult> RunAsync(DateTimeOffset now, int budget, CancellationToken cancellationToken)
    {
        var examined = 0;
        var removed = 0;

        // First, so a decided request's index row goes with its decision's follow-ups rather than as a leftover.
        foreach (var decision in await devices.ListDecisionsBeforeAsync(now - DecisionFollowUps.SweepAge, budget, cancellationToken))
        {
            examined++;
            removed += await followUps.CompleteAsync(decision, null, cancellationToken) ? 1 : 0;
        }

        foreach (var indexed in await index.ListExpiredAsync(now, budget, cancellationToken))
        {
            // One request costs at most two deletions (its device row and its index row).
            if (budget - removed < 2)
            {
                break;
            }

            examined++;
            var pending = await devices.GetPendingAsync(indexed.DeviceId, cancellationToken);
            if (pending is not null && pending.RequestId == indexed.RequestId)
            {
                // Expired with the index row: the device row goes first, so no expired request is ever left unindexed.
                removed += await requests.ExpireAsync(pending, indexed, now, cancellationToken);
            }
            else if (await index.TryDeleteAsync(indexed, cancellationToken))
            {
                // The device holds another request or none: the index row is a leftover.
                removed++;
            }
        }

        if (removed < budget)
        {
            foreach (var resolved in await index.ListResolvedBeforeAsync(now - options.Value.ResolvedRetention, budget - removed, cancellationToken))
            {
                examined++;
                removed += await index.TryDeleteResolvedAsync(resolved, cancellationToken) ? 1 : 0;
            }
        }

        if (removed < budget)
        {
            var addresses = await limits.SweepAddressesAsync(now, budget - removed, cancellationToken);
            examined += addresses.Examined;
            removed += addresses.Removed;
        }

        return new SweepStepResult(examined, removed);
    }
}
