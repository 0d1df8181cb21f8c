// Key Vault (RBAC mode) holding the app's secrets; the Function App reads them through
// Key Vault references (@Microsoft.KeyVault(SecretUri=...)) with its user-assigned identity.
// It holds one secret: the shared gateway token. Nothing else here is secret (no keys exist).

import { sharedTokenSecretName } from 'names.bicep'

param name string
param location string
param tags object

@secure()
@description('Value of Gateway__SharedToken.')
param gatewaySharedToken string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource sharedTokenSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: sharedTokenSecretName
  properties: {
    value: gatewaySharedToken
    contentType: 'text/plain'
  }
}

output name string = vault.name
output id string = vault.id
output vaultUri string = vault.properties.vaultUri
