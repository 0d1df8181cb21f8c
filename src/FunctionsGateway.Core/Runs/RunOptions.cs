namespace FunctionsGateway.Core.Runs;

/// <summary>The <c>Gateway:Runs</c> section (<c>Gateway__Runs__*</c> settings).</summary>
public sealed class RunOptions
{
    public const string Section = "Gateway:Runs";

    /// <summary>How long one worker has to start an offered run before it is offered to the next.</summary>
    public TimeSpan OfferTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>A run's timeout when the caller names none.</summary>
    public int DefaultTimeoutSeconds { get; set; } = 600;

    /// <summary>The longest timeout a caller may ask for.</summary>
    public int MaxTimeoutSeconds { get; set; } = 3600;

    /// <summary>The largest task, in UTF-8 bytes.</summary>
    public int MaxTaskBytes { get; set; } = 16 * 1024;

    /// <summary>
    /// The pool of workers this gateway offers runs to. Gateways that share a storage account but not their workers
    /// (or test hosts sharing one emulator) use different pools.
    /// </summary>
    public string WorkerPool { get; set; } = DefaultWorkerPool;

    public const string DefaultWorkerPool = "default";

    /// <summary>The largest output or error a worker may report, in characters; longer ones are cut.</summary>
    public int MaxOutputChars { get; set; } = 32 * 1024;
}
