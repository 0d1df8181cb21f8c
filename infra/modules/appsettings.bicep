// The Function App's app settings: every setting the code reads in Azure, and nothing secret.
// FUNCTIONS_EXTENSION_VERSION / FUNCTIONS_WORKER_RUNTIME are NOT set: on Flex Consumption the runtime
// comes from functionAppConfig.runtime and the platform rejects them.
//   - storage and SignalR are identity-based (the Functions convention: __accountName / __serviceUri,
//     __credential, __clientId), with the app's user-assigned identity;
//   - the upstream is checked against SignalR's identity (Gateway__Upstream__*);
//   - the shared gateway token is the only secret: a Key Vault reference resolved with the same identity;
//   - Application Insights ingestion uses Entra ID (APPLICATIONINSIGHTS_AUTHENTICATION_STRING).
// A test compiles this template and checks these keys against SettingNames in the code.

import { sharedTokenSecretName } from 'names.bicep'

@description('Name of the Function App.')
param functionAppName string

@description('Client ID of the app identity.')
param identityClientId string

param storageAccountName string
param applicationInsightsConnectionString string

@description('Key Vault URI, with its trailing slash (vault.properties.vaultUri).')
param keyVaultUri string

@description('Host name of the SignalR service.')
param signalRHostName string

@description('Object id of the SignalR service identity: the oid of every upstream token.')
param signalRPrincipalId string

@description('Audience of the upstream token.')
param upstreamAudience string

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: {
    AzureWebJobsStorage__accountName: storageAccountName
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    AzureSignalRConnectionString__serviceUri: 'https://${signalRHostName}'
    AzureSignalRConnectionString__credential: 'managedidentity'
    AzureSignalRConnectionString__clientId: identityClientId
    Gateway__Upstream__TenantId: tenant().tenantId
    Gateway__Upstream__Audience: upstreamAudience
    Gateway__Upstream__PrincipalId: signalRPrincipalId
    Gateway__SharedToken: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${sharedTokenSecretName})'
    // The stale-state sweep's timer (six-field cron, UTC). The timer trigger reads it as %GatewaySweepSchedule%,
    // so it must be set: without it the host cannot index SweepFunction.
    GatewaySweepSchedule: '0 */5 * * * *'
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  }
}
