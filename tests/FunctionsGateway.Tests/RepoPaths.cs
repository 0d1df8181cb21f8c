namespace FunctionsGateway.Tests;

internal static class RepoPaths
{
    /// <summary>The repository root: the folder holding FunctionsGateway.sln, found from the test binaries.</summary>
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FunctionsGateway.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("FunctionsGateway.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>Vectors made by an independent implementation, kept in tests/vectors.</summary>
    public static string Vector(string name) => Path.Combine(Root, "tests", "vectors", name);
}
