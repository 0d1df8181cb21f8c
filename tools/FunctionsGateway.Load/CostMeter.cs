using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

/// <summary>
/// What the measured window cost: CPU of the gateway host and of Azurite (user + system, from <c>/proc/&lt;pid&gt;/stat</c>,
/// when <c>--host-pid</c> / <c>--azurite-pid</c> name them) and the host's storage operations (its
/// <c>/_local/storage-operations</c> counter, when it runs with <c>--LocalHost:CountStorage=true</c>), each per operation.
/// </summary>
internal sealed class CostMeter
{
    public const string StorageOperationsPath = "/_local/storage-operations";

    private readonly LoadOptions options;
    private (double Host, double Azurite) cpu;
    private (long Tables, long Queues)? storage;
    private long started;

    private CostMeter(LoadOptions options) => this.options = options;

    /// <summary>Marks the start of the measured window (and prints <c>measure: start</c> for scripts watching the output).</summary>
    public static async Task<CostMeter> StartAsync(LoadOptions options)
    {
        var meter = new CostMeter(options);
        meter.storage = await StorageAsync(options);
        meter.cpu = (CpuMs(options.HostPid), CpuMs(options.AzuritePid));
        meter.started = System.Diagnostics.Stopwatch.GetTimestamp();
        Console.WriteLine("measure: start");
        return meter;
    }

    /// <summary>Ends the window; the line reports each cost divided by <paramref name="operations"/>.</summary>
    public async Task<string> StopAsync(long operations)
    {
        var host = CpuMs(options.HostPid) - cpu.Host;
        var azurite = CpuMs(options.AzuritePid) - cpu.Azurite;
        var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
        var after = await StorageAsync(options);
        Console.WriteLine("measure: end");
        var per = Math.Max(1, operations);
        var parts = new List<string>();
        if (options.HostPid > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"host cpu {host / per:F2} ms ({host / seconds:F0} ms/s)"));
        }

        if (options.AzuritePid > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"azurite cpu {azurite / per:F2} ms"));
        }

        if (storage is { } before && after is { } end)
        {
            double tables = end.Tables - before.Tables, queues = end.Queues - before.Queues;
            parts.Add(string.Create(CultureInfo.InvariantCulture,
                $"storage ops {(tables + queues) / per:F2} (tables {tables / per:F2}, queues {queues / per:F2})"));
        }

        return "cost per operation: " + (parts.Count == 0 ? "not measured (no --host-pid, --azurite-pid or storage counter)" : string.Join(", ", parts));
    }

    /// <summary>User + system CPU of a process so far, in milliseconds; 0 for no process.</summary>
    public static double CpuMs(int pid)
    {
        if (pid <= 0)
        {
            return 0;
        }

        // Fields after the command name (which may hold spaces) in parentheses: utime and stime are the 12th and 13th.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks * 1000.0 / TicksPerSecond;
    }

    /// <summary>USER_HZ, the unit of <c>/proc/&lt;pid&gt;/stat</c>'s times: 100 on every Linux the kernel exposes to user space.</summary>
    private const double TicksPerSecond = 100;

    private static async Task<(long Tables, long Queues)?> StorageAsync(LoadOptions options)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var response = await http.GetAsync(new Uri(options.Url, StorageOperationsPath));
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }

        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (body.GetProperty("tables").GetInt64(), body.GetProperty("queues").GetInt64());
    }
}
