using FunctionsGateway.LocalHost;

if (LocalHostArguments.Parse(args).Help)
{
    Console.Out.Write(LocalHostArguments.HelpText);
    return;
}

await LocalGatewayApp.Build(args).RunAsync();
