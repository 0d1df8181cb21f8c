namespace FunctionsGateway.Protocol;

/// <summary>Operator scopes as bit flags, so an authorization decision is a mask test with no allocation.</summary>
[Flags]
public enum ScopeSet
{
    None = 0,
    Admin = 1,
    Write = 2,
    Read = 4,
    Approvals = 8,
    Pairing = 16,
}

public static class OperatorScopes
{
    public const string Admin = "operator.admin";
    public const string Write = "operator.write";
    public const string Read = "operator.read";
    public const string Approvals = "operator.approvals";
    public const string Pairing = "operator.pairing";

    /// <summary>Canonical order used whenever scopes are written out (wire, storage, signatures of our own).</summary>
    public static readonly IReadOnlyList<string> All = [Admin, Approvals, Pairing, Read, Write];

    public static bool TryParse(string? value, out ScopeSet scope)
    {
        scope = value switch
        {
            Admin => ScopeSet.Admin,
            Write => ScopeSet.Write,
            Read => ScopeSet.Read,
            Approvals => ScopeSet.Approvals,
            Pairing => ScopeSet.Pairing,
            _ => ScopeSet.None,
        };
        return scope != ScopeSet.None;
    }

    public static string Name(ScopeSet single) => single switch
    {
        ScopeSet.Admin => Admin,
        ScopeSet.Write => Write,
        ScopeSet.Read => Read,
        ScopeSet.Approvals => Approvals,
        ScopeSet.Pairing => Pairing,
        _ => throw new ArgumentOutOfRangeException(nameof(single), single, "not a single scope"),
    };

    /// <summary>
    /// True when <paramref name="held"/> satisfies <paramref name="required"/> under the implication rules:
    /// admin satisfies every operator scope, write satisfies read, approvals and pairing stand alone.
    /// </summary>
    public static bool Satisfies(ScopeSet held, ScopeSet required)
    {
        if ((held & ScopeSet.Admin) != 0)
        {
            return true;
        }

        var effective = held;
        if ((held & ScopeSet.Write) != 0)
        {
            effective |= ScopeSet.Read;
        }

        return (effective & required) == required;
    }

    /// <summary>Each scope of <paramref name="required"/> that <paramref name="held"/> does not cover, first in canonical order.</summary>
    public static ScopeSet FirstMissing(ScopeSet held, ScopeSet required)
    {
        foreach (var flag in Canonical)
        {
            if ((required & flag) != 0 && !Satisfies(held, flag))
            {
                return flag;
            }
        }

        return ScopeSet.None;
    }

    private static readonly ScopeSet[] Canonical =
        [ScopeSet.Admin, ScopeSet.Approvals, ScopeSet.Pairing, ScopeSet.Read, ScopeSet.Write];

    public static string[] ToNames(ScopeSet set)
    {
        var names = new List<string>(5);
        foreach (var flag in Canonical)
        {
            if ((set & flag) != 0)
            {
                names.Add(Name(flag));
            }
        }

        return [.. names];
    }

    /// <summary>Parses scope names; unknown names are reported so callers can refuse rather than silently drop them.</summary>
    public static bool TryParseAll(IEnumerable<string>? names, out ScopeSet set, out string? unknown)
    {
        set = ScopeSet.None;
        unknown = null;
        if (names is null)
        {
            return true;
        }

        foreach (var name in names)
        {
            if (!TryParse(name, out var one))
            {
                unknown = name;
                return false;
            }

            set |= one;
        }

        return true;
    }

    /// <summary>Storage form: canonical names, comma-joined.</summary>
    public static string ToStorage(ScopeSet set) => string.Join(',', ToNames(set));

    public static ScopeSet FromStorage(string? stored)
    {
        if (string.IsNullOrEmpty(stored))
        {
            return ScopeSet.None;
        }

        var set = ScopeSet.None;
        foreach (var part in stored.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (TryParse(part, out var one))
            {
                set |= one;
            }
        }

        return set;
    }
}
