using System.CommandLine;
using Lineage.Data.Catalog;
using Lineage.Experiments;
using Lineage.Neural.Core;

namespace Lineage.Cli;

/// <summary>Options every command takes (recursive on the root), and the one place that turns them into <see cref="RunSettings"/>.</summary>
internal static class GlobalOptions
{
    public static readonly Option<int> Seed = new("--seed")
    {
        Description = "Seed for every random generator.",
        DefaultValueFactory = _ => RunSettings.DefaultSeed,
        Recursive = true,
    };

    public static readonly Option<int> Threads = new("--threads")
    {
        Description = "Threads for libtorch and the text passes; 0: one per core (Environment.ProcessorCount). Not given: one per core, " +
                      "except in the commands and tour chapters that measure faster on fewer and say why (see RunSettings).",
        DefaultValueFactory = _ => 0,
        Recursive = true,
    };

    public static readonly Option<string> Device = new("--device")
    {
        Description = "Where tensors live; this build has only 'cpu' (TorchSharp-cpu).",
        DefaultValueFactory = _ => "cpu",
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

    public static readonly Option<bool> Debug = new("--debug")
    {
        Description = "On an internal error, print its stack trace too (errors are otherwise one line).",
        Recursive = true,
    };

    public static IReadOnlyList<Option> All { get; } = [Seed, Threads, Device, Out, Data, Quiet, Debug];

    /// <summary>
    /// The run's settings from the global options; in a tour chapter's process, the tour's own (handed over as JSON).
    /// </summary>
    /// <param name="parse">The parsed command line.</param>
    /// <param name="threadsByDefault">
    /// The command's thread count when <c>--threads</c> is not given, for commands that measure faster on fewer threads
    /// (the caller says why); null: one per core.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><c>--threads</c> is negative, or <c>--device</c> names a device this build lacks.</exception>
    public static RunSettings Settings(ParseResult parse, int? threadsByDefault = null)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (ChapterProcess.Request() is { } request) return request.Settings;
        bool given = parse.GetResult(Threads) is { Implicit: false };
        return new RunSettings
        {
            Seed = parse.GetValue(Seed),
            Threads = given || threadsByDefault is null ? parse.GetValue(Threads) : threadsByDefault.Value,
            Device = parse.GetValue(Device) ?? "cpu",
            DataRoot = DataStore.DefaultRoot(parse.GetValue(Data)),
            Output = parse.GetValue(Out) ?? "out",
            Quiet = parse.GetValue(Quiet),
        };
    }

    /// <summary>
    /// <see cref="Settings"/>, applied: libtorch loaded and using <see cref="RunSettings.Threads"/> threads. Every command
    /// that uses libtorch starts with this.
    /// </summary>
    /// <param name="parse">The parsed command line.</param>
    /// <param name="threadsByDefault">As for <see cref="Settings"/>.</param>
    /// <param name="inference">An inference command (many small ops): libtorch's threads sleep rather than spin when idle (<see cref="TorchRuntime.PreferPassiveWait"/>).</param>
    /// <exception cref="InvalidOperationException">libtorch could not be loaded; the message says how to fix it.</exception>
    public static RunSettings Torch(ParseResult parse, int? threadsByDefault = null, bool inference = false)
    {
        var settings = Settings(parse, threadsByDefault);
        if (inference) TorchRuntime.PreferPassiveWait();   // before libtorch loads (see there)
        TorchRuntime.Apply(settings);
        return settings;
    }
}
