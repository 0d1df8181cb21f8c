using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FunctionsGateway.Tests;

namespace FunctionsGateway.IntegrationTests.Infrastructure;

/// <summary>
/// An Azurite of the test's own, on free loopback ports and in memory: a test may freeze it (SIGSTOP) to stall storage,
/// or compare whole tables before and after, without touching the Azurite every other test shares.
/// </summary>
public sealed class PrivateAzurite : IAsyncDisposable
{
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly OwnedProcess process;

    private PrivateAzurite(OwnedProcess process, int blob, int queue, int table)
    {
        this.process = process;
        ConnectionString = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + AccountKey
            + $";BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{table}/devstoreaccount1;";
        TablePort = table;
        QueuePort = queue;
    }

    public string ConnectionString { get; }

    public int TablePort { get; }

    public int QueuePort { get; }

    /// <summary>CPU time the storage emulator has used so far, to tell a test's own cost from its storage's.</summary>
    public TimeSpan ProcessorTime
    {
        get
        {
            process.Process.Refresh();
            return process.Process.TotalProcessorTime;
        }
    }

    public static async Task<PrivateAzurite> StartAsync()
    {
        var azurite = Path.Combine(RepoPaths.Root, "node_modules", ".bin", "azurite");
        if (!File.Exists(azurite))
        {
            throw new InvalidOperationException("run npm ci first: node_modules/.bin/azurite is missing");
        }

        var (blob, queue, table) = (FreePort(), FreePort(), FreePort());
        var start = new ProcessStartInfo(azurite,
        [
            "--silent", "--inMemoryPersistence", "--skipApiVersionCheck", "--loose",
            "--blobHost", "127.0.0.1", "--blobPort", $"{blob}",
            "--queueHost", "127.0.0.1", "--queuePort", $"{queue}",
            "--tableHost", "127.0.0.1", "--tablePort", $"{table}",
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var owned = OwnedProcess.Start(start);
        owned.Process.OutputDataReceived += (_, _) => { };
        owned.Process.ErrorDataReceived += (_, _) => { };
        owned.Process.BeginOutputReadLine();
        owned.Process.BeginErrorReadLine();
        var instance = new PrivateAzurite(owned, blob, queue, table);
        try
        {
            await instance.WaitUntilAnsweringAsync(TimeSpan.FromSeconds(60));
            return instance;
        }
        catch
        {
            await owned.DisposeAsync();
            throw;
        }
    }

    /// <summary>Freezes storage: requests are accepted by the kernel and never answered, as in a stall.</summary>
    public void Pause() => process.Signal("STOP");

    public void Resume() => process.Signal("CONT");

    public ValueTask DisposeAsync() => process.DisposeAsync();

    private async Task WaitUntilAnsweringAsync(TimeSpan within)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            if (process.Process.HasExited)
            {
                throw new InvalidOperationException($"azurite exited with {process.Process.ExitCode} before it answered");
            }

            try
            {
                // Any HTTP status means both endpoints are up (an unsigned request gets 403).
                await http.GetAsync(new Uri($"http://127.0.0.1:{TablePort}/devstoreaccount1/Tables"));
                await http.GetAsync(new Uri($"http://127.0.0.1:{QueuePort}/devstoreaccount1?comp=list"));
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && DateTime.UtcNow < deadline)
            {
                // Readiness is a state to observe: poll it, briefly.
                await Task.Delay(100);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
