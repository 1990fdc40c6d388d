using System.CommandLine;

namespace Lineage.Cli;

/// <summary>Options every command takes (recursive on the root).</summary>
internal static class GlobalOptions
{
    public static readonly Option<int> Seed = new("--seed")
    {
        Description = "Seed for every random generator.",
        DefaultValueFactory = _ => 1337,
        Recursive = true,
    };

    public static readonly Option<int> Threads = new("--threads")
    {
        Description = "libtorch threads (0: one per core).",
        DefaultValueFactory = _ => 0,
        Recursive = true,
    };

    public static readonly Option<string> Out = new("--out", "-o")
    {
        Description = "Where results go: a folder for tour (<out>/tour) and the sequence models (<out>/<model>); the vector file for word2vec/glove train.",
        DefaultValueFactory = _ => "out",
        Recursive = true,
    };

    public static readonly Option<string?> Data = new("--data")
    {
        Description = "Data cache folder (default: $LINEAGE_DATA, else data/ in the checkout, else ~/.cache/lineage/data).",
        Recursive = true,
    };

    public static readonly Option<bool> Quiet = new("--quiet", "-q")
    {
        Description = "No progress bars; only results and errors.",
        Recursive = true,
    };

    public static IReadOnlyList<Option> All { get; } = [Seed, Threads, Out, Data, Quiet];
}
