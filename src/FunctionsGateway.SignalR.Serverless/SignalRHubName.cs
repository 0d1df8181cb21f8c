namespace FunctionsGateway.SignalR.Serverless;

/// <summary>Hub name rules shared by negotiate, REST and upstream matching.</summary>
public static class SignalRHubName
{
    /// <summary>Maximum hub name length accepted by the service.</summary>
    public const int MaxLength = 128;

    /// <summary>
    /// Validates a hub name (a letter, then letters, digits or '_', at most 128 chars) and returns it lower-cased,
    /// because the service and SDKs address hubs in lower case.
    /// </summary>
    /// <exception cref="ArgumentException">The name breaks the service's hub name rule.</exception>
    public static string Normalize(string hub)
    {
        if (!IsValid(hub))
        {
            throw new ArgumentException("Hub name must start with a letter and contain only letters, digits and '_' (at most 128 characters).", nameof(hub));
        }

        return hub.ToLowerInvariant();
    }

    /// <summary>True when <paramref name="hub"/> satisfies the service's hub name rule.</summary>
    public static bool IsValid(string? hub)
    {
        if (string.IsNullOrEmpty(hub) || hub.Length > MaxLength || !char.IsAsciiLetter(hub[0]))
        {
            return false;
        }

        foreach (var c in hub)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Upstream hub headers are compared without case (the SDK lower-cases hub names).</summary>
    public static bool EqualsIgnoreCase(string? left, string? right) =>
        string.Equals(left, right, StringComparison.OrdinalIgnoreCase);
}
