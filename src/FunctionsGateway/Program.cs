using FunctionsGateway.Hosting;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddGateway(builder.Configuration, new GatewayTelemetryOptions { Configure = telemetry => telemetry.UseFunctionsWorkerDefaults() });
builder.Build().Run();
