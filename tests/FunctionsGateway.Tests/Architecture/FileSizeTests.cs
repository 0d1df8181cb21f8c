namespace FunctionsGateway.Tests.Architecture;

/// <summary>Files small enough to read in one sitting: no source file over 400 lines, unless its header says why.</summary>
public sealed class FileSizeTests
{
    private const int MaxLines = 400;

    /// <summary>A long file (a codec parser, say) names itself in its first lines with this marker and the reason.</summary>
    private const string Exemption = "Long on purpose:";

    [Fact]
    public void No_source_file_is_over_400_lines_unless_its_header_says_why()
    {
        var src = Path.Combine(RepoPaths.Root, "src");
        var tooLong = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(f => (File: Path.GetRelativePath(RepoPaths.Root, f), Lines: File.ReadAllLines(f)))
            .Where(f => f.Lines.Length > MaxLines && !f.Lines.Take(20).Any(l => l.Contains(Exemption, StringComparison.Ordinal)))
            .Select(f => $"{f.File}: {f.Lines.Length} lines")
            .ToList();

        Assert.True(tooLong.Count == 0, "split these, or say in the header why they are long:\n" + string.Join('\n', tooLong));
    }
}
