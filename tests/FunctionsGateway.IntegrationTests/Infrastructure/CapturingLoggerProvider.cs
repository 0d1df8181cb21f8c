using Microsoft.Extensions.Logging;

namespace FunctionsGateway.IntegrationTests.Infrastructure;

/// <summary>One log line as the gateway wrote it.</summary>
public sealed record CapturedLog(LogLevel Level, string Category, EventId EventId, string Message, Exception? Exception)
{
    public bool IsError => Level is LogLevel.Error or LogLevel.Critical;

    public override string ToString() => $"{Level} {Category}: {Message} {Exception}";

    /// <summary>The line as a failure message lists it: level, category, event id, message, then the exception.</summary>
    public string Describe()
    {
        var line = $"{Level} {Category}[{EventId.Id}]: {Message}";
        return Exception is null ? line : line + Environment.NewLine + "      " + Exception.ToString().ReplaceLineEndings(Environment.NewLine + "      ");
    }
}

/// <summary>
/// Keeps every log line (with exception text), so tests can check what the gateway writes down, and so a test fails
/// when the gateway logs an Error or Critical line the test did not declare with <see cref="Expect(int)"/>.
/// </summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly List<CapturedLog> entries = [];
    private readonly ErrorLogCheck whole;

    public CapturingLoggerProvider() => whole = new ErrorLogCheck(this, 0, "by the gateway",
        "(Checked when the harness is disposed: with await using, a failure of the test body itself is replaced by this one.)");

    public IReadOnlyList<CapturedLog> Entries
    {
        get
        {
            lock (entries)
            {
                return [.. entries];
            }
        }
    }

    /// <summary>Every line formatted as "{level} {category}: {message} {exception}".</summary>
    public IReadOnlyList<string> Lines => [.. Entries.Select(e => e.ToString())];

    public int Count
    {
        get
        {
            lock (entries)
            {
                return entries.Count;
            }
        }
    }

    /// <inheritdoc cref="ErrorLogCheck.Expect(int)"/>
    public void Expect(int eventId) => whole.Expect(eventId);

    /// <inheritdoc cref="ErrorLogCheck.Expect(string, string)"/>
    public void Expect(string category, string messageFragment) => whole.Expect(category, messageFragment);

    /// <inheritdoc cref="ErrorLogCheck.Allow(int)"/>
    public void Allow(int eventId) => whole.Allow(eventId);

    /// <inheritdoc cref="ErrorLogCheck.Allow(string, string)"/>
    public void Allow(string category, string messageFragment) => whole.Allow(category, messageFragment);

    /// <summary>Fails, listing the lines, if any Error/Critical line captured so far was not declared (or a declared one never came).</summary>
    public void AssertNoUnexpectedErrors() => whole.AssertNoUnexpectedErrors();

    /// <summary>A check of the lines captured from now on, with its own expectations: one per test on a shared host.</summary>
    public ErrorLogCheck StartCheck(string where) => new(this, Count, where, null);

    /// <summary>A provider for another app that writes into these lines, its categories prefixed with "<paramref name="tag"/>/".</summary>
    public ILoggerProvider Tagged(string tag) => new TaggedProvider(this, tag + "/");

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    internal IReadOnlyList<CapturedLog> Since(int start)
    {
        lock (entries)
        {
            return start >= entries.Count ? [] : entries.GetRange(start, entries.Count - start);
        }
    }

    private void Add(CapturedLog entry)
    {
        lock (entries)
        {
            entries.Add(entry);
        }
    }

    private sealed class TaggedProvider(CapturingLoggerProvider owner, string prefix) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(owner, prefix + categoryName);

        public void Dispose()
        {
        }
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => owner.Add(new CapturedLog(logLevel, category, eventId, formatter(state, exception), exception));
    }
}

/// <summary>
/// Every Error or Critical line captured from a starting point on must be declared: <c>Expect</c> for an error the
/// test provokes on purpose (it must then really be logged), <c>Allow</c> for one that may or may not come.
/// </summary>
public sealed class ErrorLogCheck
{
    private readonly CapturingLoggerProvider logs;
    private readonly int start;
    private readonly string where;
    private readonly string? note;
    private readonly List<Declared> declared = [];

    internal ErrorLogCheck(CapturingLoggerProvider logs, int start, string where, string? note)
    {
        this.logs = logs;
        this.start = start;
        this.where = where;
        this.note = note;
    }

    /// <summary>The test provokes an Error/Critical line with this event id; it must be logged, as often as it happens.</summary>
    public void Expect(int eventId) => Declare(new Declared($"event id {eventId}", e => e.EventId.Id == eventId, Required: true));

    /// <summary>
    /// The test provokes an Error/Critical line whose category contains <paramref name="category"/> and whose message
    /// contains <paramref name="messageFragment"/>; it must be logged, as often as it happens.
    /// </summary>
    public void Expect(string category, string messageFragment)
        => Declare(new Declared($"{category}: \"{messageFragment}\"", Matches(category, messageFragment), Required: true));

    /// <summary>An Error/Critical line with this event id is tolerated but not required.</summary>
    public void Allow(int eventId) => Declare(new Declared($"event id {eventId}", e => e.EventId.Id == eventId, Required: false));

    /// <summary>An Error/Critical line matching the category and message fragments is tolerated but not required.</summary>
    public void Allow(string category, string messageFragment)
        => Declare(new Declared($"{category}: \"{messageFragment}\"", Matches(category, messageFragment), Required: false));

    public IReadOnlyList<CapturedLog> Errors => [.. logs.Since(start).Where(e => e.IsError)];

    public IReadOnlyList<CapturedLog> UnexpectedErrors()
    {
        var all = Declarations();
        return [.. Errors.Where(e => !all.Any(d => d.Match(e)))];
    }

    public void AssertNoUnexpectedErrors()
    {
        var all = Declarations();
        var errors = Errors;
        var unexpected = errors.Where(e => !all.Any(d => d.Match(e))).ToList();
        var missing = all.Where(d => d.Required && !errors.Any(d.Match)).ToList();
        if (unexpected.Count == 0 && missing.Count == 0)
        {
            return;
        }

        var message = new System.Text.StringBuilder();
        if (unexpected.Count > 0)
        {
            message.AppendLine($"{unexpected.Count} unexpected Error/Critical log line(s) {where}. Fix the cause or, if the test provokes it on purpose, declare it with Expect(eventId) or Expect(category, messageFragment):");
            foreach (var line in unexpected)
            {
                message.Append("  ").AppendLine(line.Describe());
            }
        }

        if (missing.Count > 0)
        {
            message.AppendLine($"expected Error/Critical log line(s) never logged {where}:");
            foreach (var d in missing)
            {
                message.Append("  ").AppendLine(d.Description);
            }
        }

        if (note is not null)
        {
            message.AppendLine(note);
        }

        Assert.Fail(message.ToString().TrimEnd());
    }

    private static Func<CapturedLog, bool> Matches(string category, string messageFragment)
        => e => e.Category.Contains(category, StringComparison.Ordinal) && e.Message.Contains(messageFragment, StringComparison.Ordinal);

    private void Declare(Declared d)
    {
        lock (declared)
        {
            declared.Add(d);
        }
    }

    private List<Declared> Declarations()
    {
        lock (declared)
        {
            return [.. declared];
        }
    }

    private sealed record Declared(string Description, Func<CapturedLog, bool> Match, bool Required);
}
