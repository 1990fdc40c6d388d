namespace Lineage.Data.Tests;

/// <summary>
/// Finds the real data cache for the tests that check the readers against the real files: the folder named by
/// the environment variable <c>LINEAGE_DATA</c>, else <c>&lt;repo root&gt;/data</c>, the repo root being the first
/// folder above the test binaries that holds <c>Lineage.slnx</c>. Tests return early when the data is absent.
/// </summary>
internal static class RealData
{
    private static readonly Lazy<string?> Root = new(FindRoot);

    /// <summary>The cache folder of one data set (<c>fashion-mnist</c>, <c>brown</c>, <c>spamassassin</c>), or null if absent.</summary>
    public static string? Folder(string dataset)
    {
        if (Root.Value is not { } root)
        {
            return null;
        }

        var folder = Path.Combine(root, dataset);
        return Directory.Exists(folder) ? folder : null;
    }

    private static string? FindRoot()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("LINEAGE_DATA");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return fromEnvironment;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Lineage.slnx")))
            {
                return Path.Combine(dir.FullName, "data");
            }
        }

        return null;
    }
}
