using FunctionsGateway.Core.Options;
using FunctionsGateway.Core.Resilience;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;

namespace FunctionsGateway.Storage;

/// <summary>
/// <c>AzureWebJobsStorage</c> as the Functions host reads it: a connection string, or identity-based
/// (<c>AzureWebJobsStorage__accountName</c> or <c>__tableServiceUri</c>/<c>__queueServiceUri</c>, optional <c>__clientId</c>).
/// </summary>
public sealed class StorageOptions
{
    public string? ConnectionString { get; init; }
    public Uri? TableServiceUri { get; init; }
    public Uri? QueueServiceUri { get; init; }
    public string? ClientId { get; init; }

    public static StorageOptions FromConfiguration(IConfiguration configuration)
    {
        var connectionString = configuration[SettingNames.Storage];
        var section = configuration.GetSection(SettingNames.Storage);
        var account = configuration[SettingNames.ConfigKey(SettingNames.StorageAccountName)];
        var tableUri = section["tableServiceUri"] ?? (account is null ? null : $"https://{account}.table.core.windows.net");
        var queueUri = section["queueServiceUri"] ?? (account is null ? null : $"https://{account}.queue.core.windows.net");
        var options = new StorageOptions
        {
            ConnectionString = string.IsNullOrWhiteSpace(connectionString) ? null : connectionString,
            TableServiceUri = tableUri is null ? null : new Uri(tableUri),
            QueueServiceUri = queueUri is null ? null : new Uri(queueUri),
            ClientId = configuration[SettingNames.ConfigKey(SettingNames.StorageClientId)],
        };
        options.Validate();
        return options;
    }

    public void Validate()
    {
        if (ConnectionString is null && (TableServiceUri is null || QueueServiceUri is null))
        {
            throw new GatewayConfigurationException(SettingNames.Storage,
                "is required: a storage connection string (UseDevelopmentStorage=true for Azurite) or AzureWebJobsStorage__accountName for a managed identity.");
        }
    }

    /// <summary>
    /// The table client. No request waits longer than <paramref name="deadline"/> (the storage deadline, by default
    /// <see cref="StorageDeadlineOptions.DefaultDeadline"/>) per try, with two quick retries; a stall then fails as
    /// <see cref="StorageUnavailableException"/>.
    /// </summary>
    public TableServiceClient CreateTableServiceClient(TimeSpan? deadline = null, StorageOperationCount? count = null)
    {
        var tableOptions = StorageFaultPolicy.Apply(StorageTelemetryPolicy.Tables.Apply(new TableClientOptions()), deadline ?? StorageDeadlineOptions.DefaultDeadline);
        if (count is not null)
        {
            tableOptions.AddPolicy(count.TablePolicy, HttpPipelinePosition.PerCall);
        }

        return ConnectionString is not null
            ? new TableServiceClient(ConnectionString, tableOptions)
            : new TableServiceClient(TableServiceUri!, Credential(), tableOptions);
    }

    /// <summary>The queue client, bounded like <see cref="CreateTableServiceClient"/>.</summary>
    public QueueServiceClient CreateQueueServiceClient(TimeSpan? deadline = null, StorageOperationCount? count = null)
    {
        // Base64 matches what the Functions queue trigger expects by default.
        var queueOptions = StorageFaultPolicy.Apply(
            StorageTelemetryPolicy.Queues.Apply(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }),
            deadline ?? StorageDeadlineOptions.DefaultDeadline);
        if (count is not null)
        {
            queueOptions.AddPolicy(count.QueuePolicy, HttpPipelinePosition.PerCall);
        }

        return ConnectionString is not null
            ? new QueueServiceClient(ConnectionString, queueOptions)
            : new QueueServiceClient(QueueServiceUri!, Credential(), queueOptions);
    }

    private TokenCredential Credential()
        => ClientId is null ? new DefaultAzureCredential() : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(ClientId));
}
