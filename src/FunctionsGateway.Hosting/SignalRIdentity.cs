using Azure.Core;
using Azure.Identity;

namespace FunctionsGateway.Hosting;

/// <summary>Which Azure.Identity credential the gateway authenticates to the SignalR service with.</summary>
public enum SignalRCredentialKind
{
    /// <summary><c>AuthType=azure</c>, or a service URI without <c>credential</c>: DefaultAzureCredential.</summary>
    DefaultAzureCredential,

    /// <summary><c>AuthType=azure.msi</c> or <c>credential=managedidentity</c>: user-assigned with a client id, else system-assigned.</summary>
    ManagedIdentity,

    /// <summary><c>AuthType=azure.app</c> with <c>ClientId</c>, <c>TenantId</c> and <c>ClientSecret</c>.</summary>
    ClientSecret,
}

/// <summary>Identity-based access to the SignalR service (no access key), as read from configuration at start-up.</summary>
public sealed class SignalRIdentity
{
    public required SignalRCredentialKind Kind { get; init; }

    /// <summary>The managed identity's (or app registration's) client id, if given.</summary>
    public string? ClientId { get; init; }

    public string? TenantId { get; init; }

    /// <summary>The setting this was read from, for messages.</summary>
    public required string Setting { get; init; }

    internal string? ClientSecret { get; init; }

    /// <summary>The Azure.Identity credential for <see cref="Kind"/>. Creating it contacts nothing; the first token request does.</summary>
    public TokenCredential CreateCredential() => Kind switch
    {
        SignalRCredentialKind.ManagedIdentity => new ManagedIdentityCredential(
            ClientId is null ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(ClientId)),
        SignalRCredentialKind.ClientSecret => new ClientSecretCredential(TenantId, ClientId, ClientSecret),
        _ => new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = ClientId, TenantId = TenantId }),
    };

    /// <summary>Never prints a secret.</summary>
    public override string ToString() => ClientId is null ? Kind.ToString() : $"{Kind} (client id {ClientId})";
}

/// <summary>
/// The credential the gateway presents to the SignalR service under Entra ID. <c>AddGateway</c> registers the one
/// <see cref="SignalRIdentity.CreateCredential"/> makes; a test replaces this registration to inject its own.
/// </summary>
public sealed class SignalRServiceCredential(TokenCredential credential)
{
    public TokenCredential Credential { get; } = credential ?? throw new ArgumentNullException(nameof(credential));
}
