using Microsoft.Extensions.Logging;

namespace FunctionsGateway.Cli;

/// <summary>Warnings and errors as single lines on standard error; the CLI has no logging configuration to speak of.</summary>
internal sealed class StderrLogger<T>(TextWriter error) : ILogger<T>
{
    private readonly TextWriter error = TextWriter.Synchronized(error);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var prefix = logLevel >= LogLevel.Error ? "error" : "warning";
        error.WriteLine(exception is null ? $"{prefix}: {formatter(state, exception)}" : $"{prefix}: {formatter(state, exception)} ({exception.Message})");
    }
}
