using Lineage.Data.Catalog;
using Lineage.Experiments.Results;
using Lineage.Neural.Core;

namespace Lineage.Experiments;

/// <summary>
/// Everything an experiment may use: the run's settings (seed, thread count), quick or real sizes, the data
/// cache, the model cache, its output folder, progress and cancellation.
/// </summary>
public sealed class ExperimentContext
{
    /// <summary>
    /// Creates a context (the tour does this; tests build one directly). <see cref="Settings"/> is
    /// <paramref name="settings"/> with the experiment's thread cap applied (<see cref="ThreadCapAttribute"/>).
    /// </summary>
    public ExperimentContext(ExperimentInfo info, RunSettings settings, bool quick, DataStore data, ModelCache models,
        string tourDirectory, ITourProgress progress, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(settings);
        Info = info;
        Settings = settings.WithThreadCap(ExperimentRegistry.ThreadCap(info.Id)?.Threads ?? 0);
        Quick = quick;
        Data = data;
        Models = models;
        TourDirectory = tourDirectory;
        Progress = progress;
        Cancellation = cancellation;
        Directory.CreateDirectory(OutputDirectory);
    }

    /// <summary>
    /// Creates a context with <paramref name="seed"/> and one thread per core (capped as the experiment declares), for
    /// tests that build one directly.
    /// </summary>
    public ExperimentContext(ExperimentInfo info, int seed, bool quick, DataStore data, ModelCache models,
        string tourDirectory, ITourProgress progress, CancellationToken cancellation)
        : this(info, new RunSettings { Seed = seed, DataRoot = (data ?? throw new ArgumentNullException(nameof(data))).Root, Output = tourDirectory },
            quick, data, models, tourDirectory, progress, cancellation)
    {
    }

    /// <summary>The experiment's own description.</summary>
    public ExperimentInfo Info { get; }

    /// <summary>
    /// The run's settings for this experiment: its thread count already capped as the experiment declares
    /// (<see cref="ThreadCapAttribute"/>); libtorch uses that many threads while the tour runs it.
    /// </summary>
    public RunSettings Settings { get; }

    /// <summary>Global seed: seed every generator from it (<see cref="RunSettings.Seed"/>).</summary>
    public int Seed => Settings.Seed;

    /// <summary>Threads the experiment may use, for libtorch and its own parallel passes (<see cref="RunSettings.Threads"/>, capped).</summary>
    public int Threads => Settings.Threads;

    /// <summary>Tiny sizes for a smoke test.</summary>
    public bool Quick { get; }

    /// <summary>The data cache.</summary>
    public DataStore Data { get; }

    /// <summary>Trained models, keyed by data, settings and code.</summary>
    public ModelCache Models { get; }

    /// <summary>The tour's output folder (index.html, results.json).</summary>
    public string TourDirectory { get; }

    /// <summary>This experiment's folder for plots and files: <c>{TourDirectory}/{Id}</c>.</summary>
    public string OutputDirectory => Path.Combine(TourDirectory, Info.Id);

    /// <summary>Progress bars and messages.</summary>
    public ITourProgress Progress { get; }

    /// <summary>Ctrl-C, or the experiment's time limit.</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>Folder of a data set, fetched first when missing or corrupt.</summary>
    public string Require(DatasetSpec spec) => Data.Require(spec, Progress.Log, Cancellation);

    /// <summary>The path, relative to the tour folder, of a file in this experiment's folder (for <see cref="ExperimentResult.Plot"/>).</summary>
    public string RelativeOutput(string fileName) => $"{Info.Id}/{fileName}";

    /// <summary>The full path of a file in this experiment's folder.</summary>
    public string OutputFile(string fileName) => Path.Combine(OutputDirectory, fileName);

    /// <summary>A fresh result to fill in.</summary>
#pragma warning disable CA1822 // an instance member so that experiments read as ctx.Result()
    public ExperimentResult Result() => new();
#pragma warning restore CA1822
}
