using System.Text.Json;

namespace FunctionsGateway.LocalHost;

/// <summary>Reads a Core Tools style <c>local.settings.json</c> (its <c>Values</c>), so both hosts share one settings file.</summary>
internal static class LocalSettings
{
    public static Dictionary<string, string?> Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (doc.RootElement.TryGetProperty("Values", out var section) && section.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in section.EnumerateObject())
            {
                // Gateway__SharedToken is the configuration key Gateway:SharedToken, as for environment variables.
                values[property.Name.Replace("__", ":", StringComparison.Ordinal)] = property.Value.ValueKind == JsonValueKind.String
                    ? property.Value.GetString()
                    : property.Value.GetRawText();
            }
        }

        return values;
    }
}
