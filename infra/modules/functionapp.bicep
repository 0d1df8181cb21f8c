// Flex Consumption plan + Function App (.NET isolated worker) + its app settings.
//
// App settings are the ones the code, local.settings.sample.json and the local host use
// (DESIGN.md §6). FUNCTIONS_EXTENSION_VERSION / FUNCTIONS_WORKER_RUNTIME are NOT set: on Flex
// Consumption the runtime comes from functionAppConfig.runtime and the platform rejects them.
// No keys: host storage is identity-based, secrets are Key Vault references resolved with the
// user-assigned identity, Application Insights ingestion uses Entra ID.

import { deploymentContainerName, signalRConnectionStringSecretName, sharedTokenSecretName } from 'names.bicep'

param name string
param planName string
param location string
param tags object

@description('Resource ID of the user-assigned identity.')
param identityId string

@description('Client ID of the user-assigned identity.')
param identityClientId string

param storageAccountName string
param storageBlobEndpoint string
param applicationInsightsConnectionString string

@description('Key Vault URI, with its trailing slash (vault.properties.vaultUri).')
param keyVaultUri string

param runtimeVersion string
param instanceMemoryMB int
param maximumInstanceCount int

@description('Browser origins allowed to call the HTTP API (negotiate) cross-origin.')
param allowedOrigins string[]

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'gateway' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references are resolved with the user-assigned identity, not a system one.
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      cors: {
        allowedOrigins: allowedOrigins
      }
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'dotnet-isolated'
        version: runtimeVersion
      }
    }
  }

  resource appSettings 'config' = {
    name: 'appsettings'
    properties: {
      AzureWebJobsStorage__accountName: storageAccountName
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
      // The secret is written by signalr.bicep after this app exists (the upstream URL needs this
      // app's host key first). Until then the reference is unresolved; `azd deploy` restarts the
      // app, which resolves it.
      AzureSignalRConnectionString: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${signalRConnectionStringSecretName})'
      Gateway__SharedToken: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${sharedTokenSecretName})'
      // The stale-state sweep's timer (six-field cron, UTC). The timer trigger reads it as %GatewaySweepSchedule%,
      // so it must be set: without it the host cannot index SweepFunction.
      GatewaySweepSchedule: '0 */5 * * * *'
    }
  }
}

// No publishing credentials: azd deploys with an Entra ID token.
resource ftpPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = site.name
output id string = site.id
output defaultHostName string = site.properties.defaultHostName
