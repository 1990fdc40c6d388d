namespace Lineage.Data.Tests;

/// <summary>
/// Finds the real data cache for the tests that check the readers against the real files:
/// the folder the CLI uses (<see cref="Lineage.Data.Catalog.DataStore.DefaultRoot"/>: <c>$LINEAGE_DATA</c>, else
/// <c>data/</c> in the checkout). Tests return early when the data is absent.
/// </summary>
internal static class RealData
{
    private static readonly Lazy<string?> Root = new(() => Lineage.Data.Catalog.DataStore.DefaultRoot());

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
}
