using System.Runtime.InteropServices;
using FunctionsGateway.Cli;

using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    interrupt.Cancel();
};

// A supervisor stops a long-running command (gateway worker) with SIGTERM: end it as cleanly as Ctrl+C.
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    interrupt.Cancel();
});

return await CliApp.RunAsync(args, new CliConsole(Console.Out, Console.Error, Console.In, Environment.GetEnvironmentVariable), interrupt.Token);
