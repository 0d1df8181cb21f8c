using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace FunctionsGateway.Tests.Infra;

/// <summary>
/// infra/main.bicep compiled by the real Bicep compiler into ARM JSON, with the few lookups the template tests need:
/// every resource with the module (nested deployment) it sits in, module parameters, and template variables.
/// </summary>
public sealed partial class CompiledTemplate
{
    private CompiledTemplate(string json)
    {
        Json = json;
        Root = JsonDocument.Parse(json).RootElement;
        Resources = Collect(Root, module: null).ToList();
    }

    /// <summary>The ARM JSON as the compiler wrote it.</summary>
    public string Json { get; }

    public JsonElement Root { get; }

    /// <summary>Every resource that is deployed (not <c>existing</c>), in main and in every module.</summary>
    public IReadOnlyList<TemplateResource> Resources { get; }

    public IEnumerable<TemplateResource> OfType(string type) =>
        Resources.Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase));

    /// <summary>The value expression main.bicep passes to a module's parameter.</summary>
    public string ModuleArgument(string module, string parameter)
    {
        var value = Root.GetProperty("resources").GetProperty(module).GetProperty("properties").GetProperty("parameters").GetProperty(parameter);
        return value.ValueKind == JsonValueKind.Object ? value.GetProperty("value").ToString() : value.ToString();
    }

    /// <summary>
    /// The values a role-definition expression can take: a literal, <c>variables('x')</c>, or <c>variables('x')[copyIndex()]</c>
    /// over an array variable (one role assignment per element).
    /// </summary>
    public static IReadOnlyList<string> ResolveGuids(TemplateResource resource, string expression)
    {
        var variable = VariableReference().Match(expression);
        if (!variable.Success)
        {
            return [.. Guid().Matches(expression).Select(m => m.Value)];
        }

        var value = resource.Template.GetProperty("variables").GetProperty(variable.Groups[1].Value);
        return value.ValueKind == JsonValueKind.Array
            ? [.. value.EnumerateArray().Select(v => v.GetString()!)]
            : [value.GetString()!];
    }

    public static CompiledTemplate Build()
    {
        var bicep = BicepPath();
        var main = Path.Combine(RepoPaths.Root, "infra", "main.bicep");
        var start = new ProcessStartInfo(bicep)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "build", main, "--stdout" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, "bicep build failed: " + stderr.Result);
        return new CompiledTemplate(stdout);
    }

    private static string BicepPath()
    {
        var configured = Environment.GetEnvironmentVariable("BICEP");
        var path = !string.IsNullOrEmpty(configured)
            ? configured
            : typeof(CompiledTemplate).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BicepPath").Value!;
        Assert.True(File.Exists(path), $"No Bicep compiler at {path}: restore the test project on linux-x64, or set BICEP to a bicep binary.");

        // NuGet does not keep the executable bit of a package's files.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute);
        }

        return path;
    }

    private static IEnumerable<TemplateResource> Collect(JsonElement template, string? module)
    {
        var resources = template.GetProperty("resources");
        var entries = resources.ValueKind == JsonValueKind.Object
            ? resources.EnumerateObject().Select(p => p.Value)
            : resources.EnumerateArray();
        foreach (var resource in entries)
        {
            var type = resource.GetProperty("type").GetString()!;
            if (type == "Microsoft.Resources/deployments")
            {
                var name = resources.ValueKind == JsonValueKind.Object
                    ? resources.EnumerateObject().First(p => p.Value.Equals(resource)).Name
                    : resource.GetProperty("name").GetString()!;
                foreach (var nested in Collect(resource.GetProperty("properties").GetProperty("template"), name))
                {
                    yield return nested;
                }

                continue;
            }

            if (resource.TryGetProperty("existing", out var existing) && existing.GetBoolean())
            {
                continue;
            }

            yield return new TemplateResource(type, module, resource, template);
        }
    }

    [GeneratedRegex(@"variables\('([^']+)'\)")]
    private static partial Regex VariableReference();

    [GeneratedRegex(@"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex Guid();
}

/// <summary>One deployed resource, the module it is declared in (null: main.bicep), and that module's template.</summary>
public sealed record TemplateResource(string Type, string? Module, JsonElement Element, JsonElement Template)
{
    public JsonElement Properties => Element.GetProperty("properties");

    /// <summary>The expression a module passes for <c>parameters('x')</c> in <paramref name="expression"/>, or the expression.</summary>
    public string ParameterName(string expression)
    {
        var match = Regex.Match(expression, @"^\[parameters\('([^']+)'\)\]$");
        return match.Success ? match.Groups[1].Value : throw new Xunit.Sdk.XunitException($"{expression} is not a parameter of module {Module}");
    }
}
