// Azure SignalR Service in Serverless mode, with no key anywhere:
//   - local (access-key) auth is disabled, so the service has no keys to read or leak;
//   - the service has a system-assigned identity, and its upstream calls the gateway with a bearer token
//     that identity gets for `upstreamAudience`. The gateway checks issuer, audience, signature, lifetime and
//     that the token's oid is this identity's principal id (app setting Gateway__Upstream__PrincipalId);
//   - the app's identity gets the two data-plane roles it needs (docs/decisions/0010-keyless-signalr-roles.md):
//     SignalR App Server for the temporary signing key (auth/accessKey), SignalR REST API Owner for REST.
// The upstream URL carries no function key: the upstream function is anonymous and checks the token itself.

import { hubName, upstreamRoute } from 'names.bicep'

param name string
param location string
param tags object

@allowed([
  'Free_F1'
  'Standard_S1'
])
param skuName string

@minValue(1)
param capacity int

param allowedOrigins string[]

@description('Default host name of the Function App that serves the upstream.')
param functionAppHostName string

@description('Audience (resource) of the token the service sends upstream; the app setting Gateway__Upstream__Audience.')
param upstreamAudience string

@description('Principal ID of the app identity (gets SignalR App Server and SignalR REST API Owner).')
param appPrincipalId string

var signalRAppServer = '420fcaa2-552c-430f-98ca-3264be4806c7'
var signalRRestApiOwner = 'fd53cd77-2268-407a-8f46-7e7863d0f521'

resource signalr 'Microsoft.SignalRService/signalR@2024-03-01' = {
  name: name
  location: location
  tags: tags
  kind: 'SignalR'
  sku: {
    name: skuName
    tier: skuName == 'Free_F1' ? 'Free' : 'Standard'
    capacity: skuName == 'Free_F1' ? 1 : capacity
  }
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    features: [
      {
        flag: 'ServiceMode'
        value: 'Serverless'
      }
      {
        flag: 'EnableConnectivityLogs'
        value: 'True'
      }
    ]
    cors: {
      allowedOrigins: allowedOrigins
    }
    disableLocalAuth: true
    disableAadAuth: false
    publicNetworkAccess: 'Enabled'
    tls: {
      clientCertEnabled: false
    }
    upstream: {
      templates: [
        {
          urlTemplate: 'https://${functionAppHostName}/api/${upstreamRoute}'
          hubPattern: hubName
          eventPattern: '*'
          categoryPattern: '*'
          auth: {
            type: 'ManagedIdentity'
            managedIdentity: {
              resource: upstreamAudience
            }
          }
        }
      ]
    }
  }
}

resource appServerAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(signalr.id, appPrincipalId, signalRAppServer)
  scope: signalr
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', signalRAppServer)
  }
}

resource restApiOwnerAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(signalr.id, appPrincipalId, signalRRestApiOwner)
  scope: signalr
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', signalRRestApiOwner)
  }
}

output name string = signalr.name
output hostName string = signalr.properties.hostName
@description('Object id of the service identity: the oid of every upstream token.')
output principalId string = signalr.identity.principalId
