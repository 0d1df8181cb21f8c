using System.Reflection;
using System.Text.Json;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Hosting;

namespace FunctionsGateway.Tests.Infra;

public sealed class CompiledTemplateFixture
{
    public CompiledTemplate Template { get; } = CompiledTemplate.Build();
}

/// <summary>infra/main.bicep, compiled to ARM JSON, deploys the gateway with no key or secret anywhere but the shared token.</summary>
public sealed class KeylessTemplateTests(CompiledTemplateFixture fixture) : IClassFixture<CompiledTemplateFixture>
{
    private const string Identity = "[reference('identity').outputs.principalId.value]";
    private const string IdentityClientId = "[reference('identity').outputs.clientId.value]";

    // Built-in role definition ids, and the resource type each must be scoped to.
    private static readonly Dictionary<string, string> ExpectedRoles = new()
    {
        ["b7e6dc6d-f1e8-4753-8033-0f276bb0955b"] = "Microsoft.Storage/storageAccounts", // Storage Blob Data Owner
        ["974c5e8b-45b9-4653-ba55-5f855dd0fb88"] = "Microsoft.Storage/storageAccounts", // Storage Queue Data Contributor
        ["8a0f0c08-91a1-4084-bc3d-661d67233fed"] = "Microsoft.Storage/storageAccounts", // Storage Queue Data Message Processor
        ["0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"] = "Microsoft.Storage/storageAccounts", // Storage Table Data Contributor
        ["3913510d-42f4-4e42-8a64-420c390055eb"] = "Microsoft.Insights/components", // Monitoring Metrics Publisher
        ["4633458b-17de-408a-b874-0445c86b69e6"] = "Microsoft.KeyVault/vaults", // Key Vault Secrets User
        ["420fcaa2-552c-430f-98ca-3264be4806c7"] = "Microsoft.SignalRService/signalR", // SignalR App Server: auth/accessKey
        ["fd53cd77-2268-407a-8f46-7e7863d0f521"] = "Microsoft.SignalRService/signalR", // SignalR REST API Owner: REST
    };

    // Settings the code reads that a keyless deployment leaves unset: their defaults hold, or they are for local use.
    private static readonly HashSet<string> OptionalInAzure =
    [
        SettingNames.AdminKey, // the local host's admin key; in Azure the Functions host checks its function keys
        SettingNames.SignalRTenantId, SettingNames.UpstreamMetadataAddress, SettingNames.OtlpEndpoint,
        SettingNames.MaxPayloadBytes, SettingNames.ChallengeLifetime, SettingNames.SignatureSkew,
        SettingNames.PairingRequestLifetime, SettingNames.PairingCloseDelay, SettingNames.MaxInFlightPerConnection,
        SettingNames.StorageDeadline, SettingNames.PairingMaxPending, SettingNames.PairingMaxPendingPerAddress,
        SettingNames.PairingMaxRequestedEventsPerMinute, SettingNames.PairingResolvedRetention,
        SettingNames.PairingMaxAdmissionFailures,
    ];

    // Key-based forms, replaced in Azure by their identity-based settings.
    private static readonly HashSet<string> ReplacedByIdentityForms = [SettingNames.Storage, SettingNames.SignalR];

    private CompiledTemplate Template => fixture.Template;

    [Theory]
    [InlineData("listKeys(")]
    [InlineData("AccessKey=")]
    [InlineData("AccountKey=")]
    [InlineData("primaryKey")]
    [InlineData("SharedAccessKey")]
    public void No_key_is_read_or_written_anywhere_in_the_template(string forbidden)
    {
        Assert.DoesNotContain(forbidden, Template.Json, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void SignalR_runs_without_local_auth_with_its_own_identity_and_a_managed_identity_upstream()
    {
        var signalR = Assert.Single(Template.OfType("Microsoft.SignalRService/signalR"));
        Assert.True(signalR.Properties.GetProperty("disableLocalAuth").GetBoolean());
        Assert.False(signalR.Properties.GetProperty("disableAadAuth").GetBoolean());
        Assert.Equal("SystemAssigned", signalR.Element.GetProperty("identity").GetProperty("type").GetString());

        var upstream = Assert.Single(signalR.Properties.GetProperty("upstream").GetProperty("templates").EnumerateArray());
        var url = upstream.GetProperty("urlTemplate").GetString()!;
        Assert.Contains("/api/", url, StringComparison.Ordinal);
        Assert.Contains("upstreamRoute", url, StringComparison.Ordinal);
        Assert.Equal(GatewayRoutes.Upstream, signalR.Template.GetProperty("variables").GetProperty("upstreamRoute").GetString());
        Assert.DoesNotContain("code=", url, StringComparison.OrdinalIgnoreCase);

        var auth = upstream.GetProperty("auth");
        Assert.Equal("ManagedIdentity", auth.GetProperty("type").GetString());
        var audience = signalR.ParameterName(auth.GetProperty("managedIdentity").GetProperty("resource").GetString()!);

        // The audience SignalR asks its token for is the one the app checks.
        Assert.Equal(Template.ModuleArgument("signalr", audience), Template.ModuleArgument("appSettings", "upstreamAudience"));
    }

    [Fact]
    public void Storage_refuses_shared_key_access()
    {
        var storage = Assert.Single(Template.OfType("Microsoft.Storage/storageAccounts"));
        Assert.False(storage.Properties.GetProperty("allowSharedKeyAccess").GetBoolean());
    }

    [Fact]
    public void Key_Vault_holds_only_the_shared_gateway_token_from_a_secure_parameter()
    {
        var secret = Assert.Single(Template.OfType("Microsoft.KeyVault/vaults/secrets"));
        var parameter = secret.ParameterName(secret.Properties.GetProperty("value").GetString()!);
        Assert.Equal("securestring", secret.Template.GetProperty("parameters").GetProperty(parameter).GetProperty("type").GetString());
        Assert.Equal("[parameters('gatewaySharedToken')]", Template.ModuleArgument("keyVault", parameter));
        Assert.Equal("securestring", Template.Root.GetProperty("parameters").GetProperty("gatewaySharedToken").GetProperty("type").GetString());
    }

    [Fact]
    public void Every_setting_the_code_reads_is_set_or_has_a_default_and_every_app_setting_is_one_the_code_knows()
    {
        var appSettings = AppSettings();
        var known = SettingNameValues();

        foreach (var setting in known)
        {
            if (OptionalInAzure.Contains(setting))
            {
                continue;
            }

            if (ReplacedByIdentityForms.Contains(setting))
            {
                Assert.Contains(appSettings.Keys, k => k.StartsWith(setting + "__", StringComparison.Ordinal));
                Assert.DoesNotContain(setting, appSettings.Keys);
                continue;
            }

            Assert.True(appSettings.ContainsKey(setting), $"the Function App's settings lack {setting}");
        }

        foreach (var key in appSettings.Keys)
        {
            Assert.True(known.Contains(key), $"app setting {key} is not a SettingNames constant (a typo, or a setting the code never reads)");
        }
    }

    [Fact]
    public void Identity_based_settings_name_the_app_identity_and_the_upstream_is_bound_to_SignalRs_identity()
    {
        var settings = AppSettings();
        var config = Assert.Single(Template.OfType("Microsoft.Web/sites/config"));
        string Argument(string setting) => Template.ModuleArgument(config.Module!, config.ParameterName(settings[setting]));

        Assert.Equal("managedidentity", settings[SettingNames.SignalRCredential]);
        Assert.Equal("managedidentity", settings[SettingNames.StorageCredential]);
        Assert.Equal(IdentityClientId, Argument(SettingNames.SignalRClientId));
        Assert.Equal(IdentityClientId, Argument(SettingNames.StorageClientId));
        Assert.Equal("[reference('signalr').outputs.principalId.value]", Argument(SettingNames.UpstreamPrincipalId));
        Assert.StartsWith("[format('https://{0}'", settings[SettingNames.SignalRServiceUri], StringComparison.Ordinal);
        Assert.Equal("[tenant().tenantId]", settings[SettingNames.UpstreamTenantId]);
        Assert.StartsWith("@Microsoft.KeyVault(SecretUri=", settings[SettingNames.SharedToken].Trim('[', ']').Replace("format('", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void Each_role_assignment_gives_the_app_identity_its_intended_role_on_the_intended_resource()
    {
        var granted = new List<(string Role, string ScopeType)>();
        foreach (var assignment in Template.OfType("Microsoft.Authorization/roleAssignments"))
        {
            var properties = assignment.Properties;
            Assert.Equal("ServicePrincipal", properties.GetProperty("principalType").GetString());
            var principal = assignment.ParameterName(properties.GetProperty("principalId").GetString()!);
            Assert.Equal(Identity, Template.ModuleArgument(assignment.Module!, principal));

            var scope = assignment.Element.GetProperty("scope").GetString()!;
            foreach (var role in CompiledTemplate.ResolveGuids(assignment, properties.GetProperty("roleDefinitionId").GetString()!))
            {
                granted.Add((role, ScopeType(scope)));
            }
        }

        Assert.Equal(
            ExpectedRoles.Select(r => (r.Key, r.Value)).Order(),
            granted.Order());
    }

    private Dictionary<string, string> AppSettings()
    {
        var config = Assert.Single(Template.OfType("Microsoft.Web/sites/config"));
        Assert.EndsWith("'appsettings')]", config.Element.GetProperty("name").GetString(), StringComparison.Ordinal);
        return config.Properties.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
    }

    private static HashSet<string> SettingNameValues() =>
    [
        .. typeof(SettingNames).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f is { IsLiteral: true } && f.FieldType == typeof(string) && f.Name != nameof(SettingNames.GatewaySection))
            .Select(f => (string)f.GetRawConstantValue()!),
    ];

    private static string ScopeType(string scope)
    {
        var match = System.Text.RegularExpressions.Regex.Match(scope, @"resourceId\('([^']+)'");
        Assert.True(match.Success, $"role assignment scope {scope} is not a resource");
        return match.Groups[1].Value;
    }
}
