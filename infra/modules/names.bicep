// The one place in Bicep for every name the app's code also uses.
//
// Storage names: they MUST equal the constants in
//   src/FunctionsGateway.Core/Storage/StorageNames.cs
// (the app creates them if missing, so a mismatch would silently give two sets of tables/queues).
// A test in the repo greps the Bicep for each name, so keep every name written out literally here.

@export()
@description('Storage tables used by the gateway (StorageNames.AllTables).')
var tableNames = [
  'GatewayDevices' // StorageNames.DevicesTable
  'GatewayPairingRequests' // StorageNames.PairingRequestsTable
  'GatewayConnections' // StorageNames.ConnectionsTable
  'GatewayAudit' // StorageNames.AuditTable
  'GatewaySessions' // StorageNames.SessionsTable
  'GatewayRuns' // StorageNames.RunsTable
]

@export()
@description('Storage queues used by the gateway (StorageNames.AllQueues).')
var queueNames = [
  'gateway-spawn' // StorageNames.SpawnQueue
  'gateway-close' // StorageNames.CloseQueue
  'gateway-runs' // StorageNames.RunsQueue
]

@export()
@description('The SignalR hub the gateway serves (DESIGN.md §6: hub `gateway`).')
var hubName = 'gateway'

@export()
@description('Blob container the Flex Consumption plan deploys the app package from.')
var deploymentContainerName = 'app-package'

@export()
@description('Route of the upstream function under /api (GatewayRoutes.Upstream): where SignalR posts client events.')
var upstreamRoute = 'signalr/upstream'

@export()
@description('Key Vault secret holding the value of the Gateway__SharedToken app setting.')
var sharedTokenSecretName = 'gateway-shared-token'
