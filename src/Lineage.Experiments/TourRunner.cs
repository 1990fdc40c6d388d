using System.Diagnostics;
using System.Runtime.InteropServices;
using Lineage.Data.Catalog;
using Lineage.Experiments.Report;
using Lineage.Experiments.Results;
using Lineage.Neural.Core;
using Lineage.Text.IO;

namespace Lineage.Experiments;

/// <summary>Settings of a tour: the run's settings and the tour's own.</summary>
/// <param name="OutputDirectory">Where index.html, results.json and the plots go (<c>out/tour</c>).</param>
/// <param name="Settings">The run's settings (seed, threads, data cache); each experiment gets them capped as it declares.</param>
/// <param name="Quick">Tiny sizes for a smoke test.</param>
/// <param name="Only">Run only this experiment id, or the ids under this prefix ("foundations").</param>
/// <param name="Retrain">Train even when the model cache has a matching model.</param>
public sealed record TourOptions(string OutputDirectory, RunSettings Settings, bool Quick = false, string? Only = null, bool Retrain = false)
{
    /// <summary>A tour with these settings (tests and embedders).</summary>
    /// <param name="OutputDirectory">Where index.html, results.json and the plots go.</param>
    /// <param name="DataRoot">The data cache.</param>
    /// <param name="Seed">Global seed.</param>
    /// <param name="Threads">Threads; 0: one per core (<see cref="RunSettings.Threads"/>).</param>
    /// <param name="Quick">Tiny sizes for a smoke test.</param>
    /// <param name="Only">Run only this experiment id, or the ids under this prefix.</param>
    /// <param name="Retrain">Train even when the model cache has a matching model.</param>
#pragma warning disable CA1707, IDE1006 // named as the properties, so that callers write Seed: 7 as before
    public TourOptions(string OutputDirectory, string DataRoot, int Seed = RunSettings.DefaultSeed, int Threads = 0,
        bool Quick = false, string? Only = null, bool Retrain = false)
        : this(OutputDirectory, new RunSettings { Seed = Seed, Threads = Threads, DataRoot = DataRoot, Output = OutputDirectory }, Quick, Only, Retrain)
#pragma warning restore CA1707, IDE1006
    {
    }

    /// <summary>The data cache (<see cref="RunSettings.DataRoot"/>).</summary>
    public string DataRoot => Settings.DataRoot;

    /// <summary>Global seed (<see cref="RunSettings.Seed"/>).</summary>
    public int Seed => Settings.Seed;

    /// <summary>Threads, at least 1 (<see cref="RunSettings.Threads"/>).</summary>
    public int Threads => Settings.Threads;
}

/// <summary>
/// Runs the registered experiments in lineage order, each within its time budget, and writes results.json
/// and index.html after every experiment, so an interrupted tour still leaves a valid report of what ran. Started from
/// the CLI, each experiment runs in a process of its own (<see cref="ChapterProcess"/>); elsewhere (tests), in this one.
/// </summary>
public static class TourRunner
{
    /// <summary>An experiment is stopped once it has run this many times its budget.</summary>
    public const double HardLimitFactor = 2.0;

    /// <summary>
    /// The factor in force: <see cref="HardLimitFactor"/>, or the value of <c>LINEAGE_TIME_LIMIT_FACTOR</c> (for a slower or
    /// busy machine; 0 turns the limit off).
    /// </summary>
    public static double LimitFactor =>
        double.TryParse(Environment.GetEnvironmentVariable("LINEAGE_TIME_LIMIT_FACTOR"), System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out var f) && f >= 0 ? f : HardLimitFactor;

    /// <summary>Runs the tour.</summary>
    /// <returns>What was written to results.json.</returns>
    public static TourResults Run(TourOptions options, ITourProgress progress, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        TorchRuntime.Apply(options.Settings);
        var experiments = options.Only is null ? ExperimentRegistry.All : ExperimentRegistry.Select(options.Only);
        var data = new DataStore(options.DataRoot);
        var models = new ModelCache(Path.Combine(data.Root, "models"), reuse: !options.Retrain);
        var outDir = Path.GetFullPath(options.OutputDirectory);
        Directory.CreateDirectory(outDir);
        var resultsPath = Path.Combine(outDir, "results.json");
        var kept = options.Only is null ? [] : PreviousRecords(resultsPath, options.Quick);
        var started = DateTime.UtcNow;
        var records = new List<ExperimentRecord>();
        TourResults results = Save(options, started, kept, records, outDir);

        using var chapters = progress.Start($"tour: {experiments.Count} experiments", experiments.Count);
        var launcher = ChapterProcess.Launcher();
        // Chapters that share the machine run two at a time, each in its own process (TourPlan); in this process
        // (tests, embedders) every chapter runs alone, since libtorch's thread count is the process's.
        var plan = TourPlan.Of(experiments, launcher is null ? 1 : TourPlan.LanesFor(options.Threads), options.Quick);
        var gate = new Lock();
        var shared = plan.Lanes.Count > 1 ? new LockedProgress(progress) : progress;

        void RunChapter(IExperiment experiment, bool beside)
        {
            var info = experiment.Info;
            var budget = options.Quick ? info.QuickBudget : info.Budget;
            if (!ChapterProcess.IsChild) shared.Log($"{info.Id}: {info.Title} (budget {budget.TotalMinutes:0.#} min{(beside ? ", beside another chapter" : "")})");
            lock (gate) chapters.Report(records.Count, $"{Families.Of(info.Family).Title} — {info.Id}");
            ExperimentRecord record;
            string how;
            if (launcher is { } l)
            {
                // The chapter's process keeps its own time limit; this one is the backstop for a process that stops answering.
                TimeSpan? backstop = LimitFactor > 0 ? budget * LimitFactor + TimeSpan.FromMinutes(1) : null;
                record = ChapterProcess.Run(l, experiment, options, budget, backstop, shared, cancellation);
                how = beside ? "in its own process, beside another chapter" : "in its own process";
            }
            else
            {
                int fullCollections = GC.CollectionCount(2);
                record = RunHere(experiment, options, budget, data, models, outDir, progress, cancellation);
                how = $"{GC.CollectionCount(2) - fullCollections} full .NET collections, managed heap {GC.GetTotalMemory(false) >> 20} MiB";
            }

            lock (gate)
            {
                records.Add(record);
                chapters.Report(records.Count);
                results = Save(options, started, kept, records, outDir);
            }

            if (!ChapterProcess.IsChild)
                shared.Log($"{info.Id}: {record.Status.ToString().ToLowerInvariant()} in {record.WallSeconds:0.0} s ({how})" +
                           (record.Error is null ? "" : $" — {record.Error}"));
        }

        if (plan.Lanes.Count > 1)
        {
            // One thread per lane: each waits on its chapter's process (ChapterProcess.Run blocks), one chapter at a time.
            var lanes = plan.Lanes.Select(lane => new Thread(() =>
            {
                foreach (var experiment in lane)
                {
                    if (cancellation.IsCancellationRequested) break;
                    RunChapter(experiment, beside: true);
                }
            }) { IsBackground = true, Name = "tour lane" }).ToList();
            foreach (var lane in lanes) lane.Start();
            foreach (var lane in lanes) lane.Join();
        }
        else
        {
            plan = plan with { Alone = experiments };   // one lane (a single family shares): lineage order, as without lanes
        }

        foreach (var experiment in plan.Alone)
        {
            if (cancellation.IsCancellationRequested && records.Count > 0) break;
            RunChapter(experiment, beside: false);
            if (cancellation.IsCancellationRequested) break;
        }

        return results;
    }

    /// <summary>
    /// Runs <paramref name="experiment"/> in this process on its context's settings: libtorch uses
    /// <see cref="ExperimentContext.Threads"/> threads (the experiment's cap applied) while it runs, and its previous count after.
    /// Logs the count it runs on, and the cap's reason where there is one.
    /// </summary>
    public static ExperimentResult RunOne(IExperiment experiment, ExperimentContext context)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(context);
        int previous = TorchRuntime.Threads;
        TorchRuntime.Apply(context.Settings);
        int threads = TorchRuntime.Threads;
        var cap = ExperimentRegistry.ThreadCap(context.Info.Id);
        context.Progress.Log($"{context.Info.Id}: {threads} thread{(threads == 1 ? "" : "s")}" +
                             (cap is null ? "" : $" (at most {cap.Threads}: {cap.Reason})"));
        try
        {
            return experiment.Run(context);
        }
        finally
        {
            TorchRuntime.Apply(context.Settings with { Threads = previous });
        }
    }

    /// <summary>Runs one experiment in this process, within its time limit.</summary>
    private static ExperimentRecord RunHere(IExperiment experiment, TourOptions options, TimeSpan budget, DataStore data, ModelCache models,
        string outDir, ITourProgress progress, CancellationToken cancellation)
    {
        var info = experiment.Info;
        using var limit = LimitFactor > 0 ? new CancellationTokenSource(budget * LimitFactor) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellation, limit.Token);
        var context = new ExperimentContext(info, options.Settings, options.Quick, data, models, outDir, progress, linked.Token);
        var clock = Stopwatch.StartNew();
        try
        {
            var result = RunOne(experiment, context);
            return Record(info, budget, clock.Elapsed, result, result.Claims.All(c => c.Passed) ? ExperimentStatus.Passed : ExperimentStatus.Failed, null);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return Record(info, budget, clock.Elapsed, null, ExperimentStatus.Cancelled, "stopped by the user");
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested)
        {
            return Record(info, budget, clock.Elapsed, null, ExperimentStatus.Cancelled,
                $"stopped at its time limit ({LimitFactor} × its {budget.TotalMinutes:0.#}-minute budget)");
        }
#pragma warning disable CA1031 // one failing experiment must not stop the tour; the error is recorded
        catch (Exception e)
#pragma warning restore CA1031
        {
            AtomicFile.WriteAllText(context.OutputFile("error.txt"), e.ToString());
            return Record(info, budget, clock.Elapsed, null, ExperimentStatus.Error, $"{e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>Progress that two lanes' relays may call at once: one call at a time reaches the CLI's bars.</summary>
    private sealed class LockedProgress(ITourProgress inner) : ITourProgress
    {
        private readonly Lock gate = new();

        public IProgressTask Start(string description, double total)
        {
            lock (gate) return new Task(this, inner.Start(description, total));
        }

        public void Log(string message)
        {
            lock (gate) inner.Log(message);
        }

        private sealed class Task(LockedProgress owner, IProgressTask inner) : IProgressTask
        {
            public void Report(double value, string? status = null)
            {
                lock (owner.gate) inner.Report(value, status);
            }

            public void Dispose()
            {
                lock (owner.gate) inner.Dispose();
            }
        }
    }

    private static TourResults Save(TourOptions options, DateTime started, IReadOnlyList<ExperimentRecord> kept,
        IReadOnlyList<ExperimentRecord> records, string outDir)
    {
        var ran = records.Select(r => r.Id).ToHashSet();
        var order = ExperimentRegistry.All.Select((e, i) => (e.Info.Id, i)).ToDictionary(p => p.Id, p => p.i);
        var all = kept.Where(r => !ran.Contains(r.Id)).Concat(records)
            .OrderBy(r => order.GetValueOrDefault(r.Id, int.MaxValue)).ToList();
        var machine = new MachineInfo(RuntimeInformation.OSDescription, Environment.ProcessorCount,
            RuntimeInformation.FrameworkDescription, TorchRuntime.Threads);
        var results = new TourResults(TourResults.CurrentSchema, typeof(TourRunner).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
            started, DateTime.UtcNow, options.Quick, options.Seed, machine, all, TourResults.Summarise(all));
        results.Write(Path.Combine(outDir, "results.json"));
        HtmlReport.Write(results, outDir);
        return results;
    }

    private static IReadOnlyList<ExperimentRecord> PreviousRecords(string path, bool quick)
    {
        try
        {
            return TourResults.TryRead(path) is { } previous && previous.Quick == quick ? previous.Experiments : [];
        }
        catch (InvalidDataException)
        {
            return [];   // an unreadable or older results.json is replaced, not merged
        }
    }

    private static ExperimentRecord Record(ExperimentInfo info, TimeSpan budget, TimeSpan wall, ExperimentResult? result,
        ExperimentStatus status, string? error)
    {
        result ??= new ExperimentResult();
        return new ExperimentRecord(info.Id, Families.Of(info.Family).Slug, info.Title, info.Paper.ToString(), info.Paper.Url, status,
            Math.Round(wall.TotalSeconds, 2), budget.TotalSeconds, wall > budget, result.Model.ToString().ToLowerInvariant(),
            result.Metrics, result.Claims, result.Plots, result.Tables, result.Notes, error);
    }
}
