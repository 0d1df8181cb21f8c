using System.Diagnostics;
using System.Globalization;

namespace FunctionsGateway.IntegrationTests.Infrastructure;

/// <summary>
/// A child process a test started, and only that one: it is stopped by its own pid (SIGTERM, a grace period, then
/// SIGKILL) and always waited for, so its ports are free once <see cref="DisposeAsync"/> returns. Never a kill by name:
/// a user's own Azurite or node may be running beside the tests.
/// </summary>
public sealed class OwnedProcess : IAsyncDisposable
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    private OwnedProcess(Process process) => Process = process;

    public Process Process { get; }

    public int Id => Process.Id;

    public static OwnedProcess Start(ProcessStartInfo start)
        => new(System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException("could not start " + start.FileName));

    /// <summary>Sends a signal to this process only (SIGSTOP/SIGCONT freeze and thaw it).</summary>
    public void Signal(string name)
    {
        using var kill = System.Diagnostics.Process.Start("kill", ["-" + name, Id.ToString(CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    /// <summary>The exit code, once <see cref="StopAsync"/> (or the process itself) has ended it.</summary>
    public int ExitCode => Process.ExitCode;

    /// <summary>SIGTERM, a grace period, then SIGKILL; returns once the process has exited.</summary>
    public async Task StopAsync()
    {
        if (Process.HasExited)
        {
            return;
        }

        Signal("CONT"); // a frozen process cannot act on SIGTERM
        Signal("TERM");
        try
        {
            await Process.WaitForExitAsync().WaitAsync(Grace);
        }
        catch (TimeoutException)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            Process.Dispose();
        }
    }
}
