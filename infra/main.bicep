// FunctionsGateway on Azure, deployable with `azd up`, with no key anywhere:
//   Function App on Flex Consumption (.NET isolated) with one user-assigned identity; Azure SignalR
//   Service (Serverless, local auth disabled, system-assigned identity, upstream -> /api/signalr/upstream
//   with a managed-identity bearer token); Storage (tables + queues, shared-key access disabled);
//   Key Vault holding only the shared gateway token; Application Insights with Entra-only ingestion.
//   No listKeys, no access key, no account key, no publishing credentials.
//
// Table and queue names live in modules/names.bicep and must equal
// src/FunctionsGateway.Core/Storage/StorageNames.cs.

targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; used for the resource group name and to derive unique resource names.')
param environmentName string

@minLength(1)
@description('Region for all resources. It must offer the Flex Consumption plan (az functionapp list-flexconsumption-locations).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@secure()
@minLength(16)
@description('Shared token clients present on connect (app setting Gateway__SharedToken). From azd env var GATEWAY_SHARED_TOKEN.')
param gatewaySharedToken string

@allowed([
  'Free_F1'
  'Standard_S1'
])
@description('Azure SignalR Service SKU.')
param signalRSku string = 'Free_F1'

@minValue(1)
@description('SignalR units (Standard_S1 only; Free_F1 is always 1).')
param signalRCapacity int = 1

@description('Audience of the token SignalR sends upstream (Gateway__Upstream__Audience). Empty: the client ID of the app identity. Set it to an app registration\'s Application ID URI or client ID to use your own.')
param upstreamAudience string = ''

@description('Browser origins allowed by SignalR CORS and the Function App CORS.')
param allowedOrigins string[] = [
  '*'
]

@description('dotnet-isolated runtime version on Flex Consumption.')
param functionsRuntimeVersion string = '10.0'

@allowed([
  512
  2048
  4096
])
@description('Memory per Flex Consumption instance.')
param instanceMemoryMB int = 2048

@minValue(40)
@maxValue(1000)
@description('Maximum Flex Consumption instances.')
param maximumInstanceCount int = 100

@description('Application Insights accepts only Entra ID authenticated telemetry (the app sends it with APPLICATIONINSIGHTS_AUTHENTICATION_STRING).')
param appInsightsDisableLocalAuth bool = true

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-gateway-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-gateway-${resourceToken}'
    applicationInsightsName: 'appi-gateway-${resourceToken}'
    location: location
    tags: tags
    disableLocalAuth: appInsightsDisableLocalAuth
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'stgw${resourceToken}'
    location: location
    tags: tags
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: 'kv-gw-${resourceToken}'
    location: location
    tags: tags
    gatewaySharedToken: gatewaySharedToken
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultName: keyVault.outputs.name
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  params: {
    name: 'func-gateway-${resourceToken}'
    planName: 'plan-gateway-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    storageBlobEndpoint: storage.outputs.blobEndpoint
    runtimeVersion: functionsRuntimeVersion
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    allowedOrigins: allowedOrigins
  }
}

var effectiveUpstreamAudience = empty(upstreamAudience) ? identity.outputs.clientId : upstreamAudience

// After the Function App: the upstream URL is the app's host name.
module signalr 'modules/signalr.bicep' = {
  name: 'signalr'
  scope: rg
  params: {
    name: 'sigr-gateway-${resourceToken}'
    location: location
    tags: tags
    skuName: signalRSku
    capacity: signalRCapacity
    allowedOrigins: allowedOrigins
    functionAppHostName: functionApp.outputs.defaultHostName
    upstreamAudience: effectiveUpstreamAudience
    appPrincipalId: identity.outputs.principalId
  }
}

// Last: the settings name the SignalR service and its identity, and the host must reach storage and
// Key Vault as soon as they land (hence after the role assignments).
module appSettings 'modules/appsettings.bicep' = {
  name: 'appsettings'
  scope: rg
  dependsOn: [
    roles
  ]
  params: {
    functionAppName: functionApp.outputs.name
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    keyVaultUri: keyVault.outputs.vaultUri
    signalRHostName: signalr.outputs.hostName
    signalRPrincipalId: signalr.outputs.principalId
    upstreamAudience: effectiveUpstreamAudience
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output GATEWAY_URL string = 'https://${functionApp.outputs.defaultHostName}/api'
output AZURE_SIGNALR_NAME string = signalr.outputs.name
output AZURE_SIGNALR_HOSTNAME string = signalr.outputs.hostName
output AZURE_STORAGE_ACCOUNT string = storage.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_SIGNALR_PRINCIPAL_ID string = signalr.outputs.principalId
output AZURE_SIGNALR_UPSTREAM_AUDIENCE string = effectiveUpstreamAudience
