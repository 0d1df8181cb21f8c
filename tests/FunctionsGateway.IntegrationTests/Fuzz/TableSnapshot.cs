using System.Globalization;
using System.Text;
using Azure.Data.Tables;

namespace FunctionsGateway.IntegrationTests.Fuzz;

/// <summary>
/// Every row of every table of a storage account, with its ETag: two snapshots are equal only when nothing was
/// added, removed or even rewritten with the same values.
/// </summary>
public sealed class TableSnapshot
{
    private readonly SortedDictionary<string, string> rows;

    private TableSnapshot(SortedDictionary<string, string> rows) => this.rows = rows;

    public int Count => rows.Count;

    public static async Task<TableSnapshot> TakeAsync(string connectionString)
    {
        var service = new TableServiceClient(connectionString);
        var rows = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await foreach (var table in service.QueryAsync())
        {
            rows[$"table {table.Name}"] = string.Empty;
            await foreach (var entity in service.GetTableClient(table.Name).QueryAsync<TableEntity>())
            {
                rows[$"{table.Name} [{entity.PartitionKey}] [{entity.RowKey}]"] = Describe(entity);
            }
        }

        return new TableSnapshot(rows);
    }

    /// <summary>What differs from <paramref name="before"/>, one line per row (at most <paramref name="max"/>); empty when equal.</summary>
    public IReadOnlyList<string> DifferencesFrom(TableSnapshot before, int max = 20)
    {
        var lines = new List<string>();
        foreach (var (key, value) in rows)
        {
            if (!before.rows.TryGetValue(key, out var old))
            {
                lines.Add("added   " + key + " " + value);
            }
            else if (old != value)
            {
                lines.Add("changed " + key + ": " + old + " -> " + value);
            }
        }

        lines.AddRange(before.rows.Keys.Where(k => !rows.ContainsKey(k)).Select(k => "removed " + k + " " + before.rows[k]));
        return lines.Count > max ? [.. lines.Take(max), $"... {lines.Count - max} more"] : lines;
    }

    private static string Describe(TableEntity entity)
    {
        var builder = new StringBuilder().Append("etag=").Append(entity.ETag.ToString());
        foreach (var (name, value) in entity.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (name is not ("odata.etag" or "PartitionKey" or "RowKey" or "Timestamp"))
            {
                builder.Append(' ').Append(name).Append('=').Append(Convert.ToString(value, CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }
}
