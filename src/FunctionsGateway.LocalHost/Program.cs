using FunctionsGateway.LocalHost;

await LocalGatewayApp.Build(args).RunAsync();
