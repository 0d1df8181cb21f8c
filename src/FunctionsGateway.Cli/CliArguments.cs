namespace FunctionsGateway.Cli;

/// <summary>A command line the user got wrong: printed with a pointer to <c>--help</c>, exit 64.</summary>
internal sealed class CliUsageException(string message) : Exception(message);

/// <summary>
/// The parsed command line: positionals (command words and arguments) in order, and <c>--name value</c>,
/// <c>--name=value</c> or <c>--flag</c> options anywhere; <c>--</c> ends options. A repeated option keeps every value
/// (<see cref="GetAll"/>); <see cref="Get"/> returns the last.
/// </summary>
internal sealed class CliArguments
{
    /// <summary>Options that take no value.</summary>
    public static readonly IReadOnlySet<string> Flags = new HashSet<string>(StringComparer.Ordinal) { "msgpack", "help", "json", "version", "echo" };

    /// <summary>Options that take a value.</summary>
    public static readonly IReadOnlySet<string> Valued = new HashSet<string>(StringComparer.Ordinal)
    {
        "url", "token", "identity", "role", "scopes", "timeout", "poll", "poll-max", "admin-key", "agent-id", "concurrency", "delay",
    };

    private readonly Dictionary<string, List<string>> options;

    private CliArguments(List<string> positionals, Dictionary<string, List<string>> options)
    {
        Positionals = positionals;
        this.options = options;
    }

    public IReadOnlyList<string> Positionals { get; }

    public IEnumerable<string> OptionNames => options.Keys;

    public static CliArguments Parse(IReadOnlyList<string> args)
    {
        var positionals = new List<string>();
        var options = new Dictionary<string, List<string>>(StringComparer.Ordinal);

        void Add(string name, string value)
        {
            if (!options.TryGetValue(name, out var values))
            {
                options[name] = values = [];
            }

            values.Add(value);
        }

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                positionals.AddRange(args.Skip(i + 1));
                break;
            }

            if (arg is "-h" or "-?")
            {
                Add("help", "true");
                continue;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                // "-" alone is a positional (read params from stdin); so is anything not starting with "--".
                if (arg.Length > 1 && arg[0] == '-' && arg != "-")
                {
                    throw new CliUsageException($"unknown option: {arg}");
                }

                positionals.Add(arg);
                continue;
            }

            var name = arg[2..];
            string? inlineValue = null;
            var equals = name.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                inlineValue = name[(equals + 1)..];
                name = name[..equals];
            }

            if (Flags.Contains(name))
            {
                if (inlineValue is not null)
                {
                    throw new CliUsageException($"option --{name} takes no value");
                }

                Add(name, "true");
            }
            else if (Valued.Contains(name))
            {
                if (inlineValue is null)
                {
                    if (i + 1 >= args.Count)
                    {
                        throw new CliUsageException($"option --{name} needs a value");
                    }

                    inlineValue = args[++i];
                }

                Add(name, inlineValue);
            }
            else
            {
                throw new CliUsageException($"unknown option: --{name}");
            }
        }

        return new CliArguments(positionals, options);
    }

    public bool Has(string name) => options.ContainsKey(name);

    public string? Get(string name) => options.TryGetValue(name, out var values) ? values[^1] : null;

    /// <summary>Every value given for a repeatable option, in order; empty when absent.</summary>
    public IReadOnlyList<string> GetAll(string name) => options.TryGetValue(name, out var values) ? values : [];

    /// <summary>The option, else the environment variable, else null (empty counts as unset).</summary>
    public string? GetOrEnvironment(string name, string variable, Func<string, string?> environment)
    {
        var value = Get(name);
        if (!string.IsNullOrEmpty(value))
        {
            return value;
        }

        var fromEnvironment = environment(variable);
        return string.IsNullOrEmpty(fromEnvironment) ? null : fromEnvironment;
    }

    /// <summary>A positive number of seconds, or <paramref name="fallback"/> when the option is absent.</summary>
    public TimeSpan GetSeconds(string name, double fallback)
    {
        var value = Get(name);
        if (value is null)
        {
            return TimeSpan.FromSeconds(fallback);
        }

        if (!double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            || seconds < 0 || !double.IsFinite(seconds) || seconds > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            throw new CliUsageException($"option --{name} needs a number of seconds, got: {value}");
        }

        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>Refuses options this command does not take, so a typo'd command line fails loudly.</summary>
    public void RequireOnly(string command, params string[] allowed)
    {
        foreach (var name in options.Keys)
        {
            if (!CliSettings.GlobalOptions.Contains(name) && !allowed.Contains(name, StringComparer.Ordinal))
            {
                throw new CliUsageException($"option --{name} does not apply to '{command}'");
            }
        }
    }
}
