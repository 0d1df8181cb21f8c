// Role assignments for the app's user-assigned identity. Built-in role definition IDs:
//   Storage Blob Data Owner               b7e6dc6d-f1e8-4753-8033-0f276bb0955b
//   Storage Queue Data Contributor        974c5e8b-45b9-4653-ba55-5f855dd0fb88
//   Storage Queue Data Message Processor  8a0f0c08-91a1-4084-bc3d-661d67233fed
//   Storage Table Data Contributor        0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3
//   Monitoring Metrics Publisher          3913510d-42f4-4e42-8a64-420c390055eb
//   Key Vault Secrets User                4633458b-17de-408a-b874-0445c86b69e6
// (The SignalR roles are assigned in signalr.bicep, scoped to the service it creates.)

param principalId string
param storageAccountName string
param applicationInsightsName string
param keyVaultName string

var storageRoles = [
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner: host storage + Flex deployment container
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor: gateway-spawn / gateway-close / gateway-runs
  '8a0f0c08-91a1-4084-bc3d-661d67233fed' // Storage Queue Data Message Processor: queue triggers
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor: Gateway* tables
]
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource storageAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoles: {
    name: guid(storage.id, principalId, roleId)
    scope: storage
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    }
  }
]

resource appInsightsAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, principalId, monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
  }
}

resource keyVaultAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
  }
}
