using FunctionsGateway.Protocol;
using Microsoft.Extensions.Options;

namespace FunctionsGateway.Core.Pairing;

/// <summary>What a new pending request may do: be stored (and whether it is announced), or the refusal.</summary>
public readonly record struct Reservation(bool Announce, GatewayResponse? Refusal)
{
    public bool Granted => Refusal is null;
}

/// <summary>
/// The caps on live pending requests (docs/protocol.md §4.3): gateway-wide and per client address, plus the budget of
/// <c>device.pair.requested</c> announcements. A request is counted from just before it is stored until it is decided,
/// superseded or expires; an expired entry stops counting by itself, so a lost release only holds a slot until expiry.
/// </summary>
public sealed class PendingLimits(IPendingLedger ledger, IOptions<PairingLimits> options, TimeProvider time)
{
    public const string GatewayScope = "gateway";
    public const string MaxPendingLimit = "maxPending";
    public const string MaxPendingPerAddressLimit = "maxPendingPerAddress";

    /// <summary>
    /// Each lost race means another writer's count went in, so a writer is held back only while others succeed (with no
    /// releases, a writer loses at most cap times before the cap refuses it). Past this many it is told to retry.
    /// </summary>
    private const int MaxAttempts = 16;
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly PairingLimits limits = options.Value;

    /// <summary>
    /// Counts <paramref name="fresh"/> under the gateway and its address, in place of <paramref name="replaced"/> (the
    /// device's older request it supersedes, which stops counting). A refusal writes nothing.
    /// </summary>
    public async Task<Reservation> ReserveAsync(PendingRequestRecord fresh, PendingRequestRecord? replaced, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var now = time.GetUtcNow();
            var rows = await ReadScopesAsync(fresh.ClientAddress, replaced?.ClientAddress, cancellationToken);
            foreach (var row in rows)
            {
                row.Entries.RemoveAll(e => e.ExpiresAt <= now || e.RequestId == replaced?.RequestId || e.RequestId == fresh.RequestId);
            }

            var gateway = rows[0];
            var address = fresh.ClientAddress is null ? null : rows[1];
            if (gateway.Entries.Count >= limits.MaxPending)
            {
                return new(false, Refuse(MaxPendingLimit, limits.MaxPending, gateway, now));
            }

            if (address is not null && address.Entries.Count >= limits.MaxPendingPerAddress)
            {
                return new(false, Refuse(MaxPendingPerAddressLimit, limits.MaxPendingPerAddress, address, now));
            }

            var entry = new LedgerEntry(fresh.RequestId, fresh.ExpiresAt);
            gateway.Entries.Add(entry);
            address?.Entries.Add(entry);
            if (now - gateway.WindowStart >= Window || gateway.WindowStart > now)
            {
                gateway.WindowStart = now;
                gateway.WindowEvents = 0;
            }

            var announce = gateway.WindowEvents < limits.MaxRequestedEventsPerMinute;
            if (announce)
            {
                gateway.WindowEvents++;
            }

            if (await ledger.TryCommitAsync(rows, cancellationToken))
            {
                return new(announce, null);
            }

            // Someone else counted a request first; look again (a little apart, so racing writers spread out).
            await Task.Delay(Random.Shared.Next(1, 5 * (attempt + 1)), cancellationToken);
        }

        return new(false, GatewayResponse.Failure(ErrorCodes.Unavailable, "pending requests kept changing; retry",
            new ErrorDetails(DetailCodes.ConcurrentUpdate)));
    }

    /// <summary>Stops counting <paramref name="request"/> (decided, superseded elsewhere, removed or never stored). Idempotent.</summary>
    public async Task ReleaseAsync(PendingRequestRecord request, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var now = time.GetUtcNow();
            var rows = await ReadScopesAsync(request.ClientAddress, null, cancellationToken);
            var changed = new List<PendingLedgerRow>();
            foreach (var row in rows)
            {
                if (row.Entries.RemoveAll(e => e.RequestId == request.RequestId) > 0)
                {
                    row.Entries.RemoveAll(e => e.ExpiresAt <= now);
                    changed.Add(row);
                }
            }

            if (changed.Count == 0 || await ledger.TryCommitAsync(changed, cancellationToken))
            {
                return;
            }

            await Task.Delay(Random.Shared.Next(1, 5 * (attempt + 1)), cancellationToken);
        }
    }

    /// <summary>Deletes address rows whose every entry has expired (at most <paramref name="budget"/>), each under its version.</summary>
    public async Task<SweepCount> SweepAddressesAsync(DateTimeOffset now, int budget, CancellationToken cancellationToken)
    {
        var examined = 0;
        var removed = 0;
        foreach (var row in await ledger.ListStaleAddressRowsAsync(now, budget, cancellationToken))
        {
            examined++;
            row.Entries.Clear();
            if (await ledger.TryCommitAsync([row], cancellationToken))
            {
                removed++;
            }
        }

        return new(examined, removed);
    }

    private async Task<List<PendingLedgerRow>> ReadScopesAsync(string? address, string? otherAddress, CancellationToken cancellationToken)
    {
        var scopes = new List<string> { GatewayScope };
        if (address is not null)
        {
            scopes.Add(address);
        }

        if (otherAddress is not null && otherAddress != address)
        {
            scopes.Add(otherAddress);
        }

        return [.. await Task.WhenAll(scopes.Select(s => ledger.ReadAsync(s, cancellationToken)))];
    }

    private static GatewayResponse Refuse(string limit, int max, PendingLedgerRow row, DateTimeOffset now)
    {
        // The earliest a slot frees by itself; a decision may free one sooner.
        var retryAfterMs = row.Entries.Count == 0 ? 1000 : Math.Max(1000, (long)Math.Ceiling((row.Entries.Min(e => e.ExpiresAt) - now).TotalMilliseconds));
        return GatewayResponse.Failure(ErrorCodes.Unavailable, $"too many pending pairing requests ({limit} {max}); retry later",
            new ErrorDetails(DetailCodes.PendingLimit, new { limit, max, retryAfterMs }));
    }
}

/// <summary>Rows one sweep pass looked at and rows it deleted.</summary>
public readonly record struct SweepCount(int Examined, int Removed);
