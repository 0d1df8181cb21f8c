using FunctionsGateway.Cli;

using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    interrupt.Cancel();
};

return await CliApp.RunAsync(args, new CliConsole(Console.Out, Console.Error, Console.In, Environment.GetEnvironmentVariable), interrupt.Token);
