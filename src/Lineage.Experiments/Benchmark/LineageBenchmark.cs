// The lineage benchmark's runner (issue 31): every representation through one protocol on the same tasks and splits.
// Classification: features fitted on the training texts → SoftmaxProbe (centred, unscaled, full-batch Adam, λ chosen on a
// fold of the training split) → accuracy and macro-F1 on the held-out texts. Retrieval: features fitted on the training pairs' texts → cosine similarity of each
// held-out query with every held-out document → recall@1, recall@10, MRR. Per row it records the feature count, the
// parameters learned (representation + probe), training seconds (fit, training features, probe), texts per second when
// featurising the held-out texts, and the peak resident memory the row added (PeakMemory.Measure).
// scikit-learn's TfidfVectorizer + LogisticRegression on the same split is the outside anchor row (python3 + sklearn).
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Lineage.Data.Benchmark;
using Lineage.Data.Catalog;
using Lineage.Experiments.Transformers;
using Lineage.Neural.Core;
using Lineage.Neural.Pretrained;
using Lineage.Text.Encodings;
using Lineage.Text.IO;

namespace Lineage.Experiments.Benchmark;

/// <summary>One row of the leaderboard.</summary>
/// <param name="Task">Task id.</param>
/// <param name="Representation">Representation id.</param>
/// <param name="Name">What it is.</param>
/// <param name="Step">Its step in the lineage.</param>
/// <param name="Metrics">Quality: accuracy and macro_f1, or recall_at_1, recall_at_10 and mrr.</param>
/// <param name="Features">Feature count.</param>
/// <param name="Parameters">Numbers learned: the representation's plus the probe's.</param>
/// <param name="TrainSeconds">Fitting the representation, featurising the training texts and fitting the probe.</param>
/// <param name="TextsPerSecond">Held-out texts featurised per second.</param>
/// <param name="PeakBytes">Peak resident memory the row added (−1 unknown).</param>
/// <param name="Note">Why a row has no numbers ("not available: …"), or null.</param>
public sealed record BenchRow(string Task, string Representation, string Name, string Step, IReadOnlyDictionary<string, double> Metrics,
    int Features, long Parameters, double TrainSeconds, double TextsPerSecond, long PeakBytes, string? Note = null)
{
    /// <summary>The row's headline quality: macro-F1 (classification) or MRR (retrieval); NaN when it has none.</summary>
    [JsonIgnore]
    public double Headline => Metrics.TryGetValue("macro_f1", out var f) ? f : Metrics.TryGetValue("mrr", out var m) ? m : double.NaN;

    /// <summary>A metric as a table cell: macro-F1 and MRR to three decimals, the rest (accuracy, recall@k) as percentages; <paramref name="missing"/> when absent or not a number.</summary>
    public string Cell(string key, string missing) =>
        Metrics.TryGetValue(key, out var v) && double.IsFinite(v)
            ? v.ToString(key is "mrr" or "macro_f1" ? "0.000" : "0.0%", System.Globalization.CultureInfo.InvariantCulture)
            : missing;
}

/// <summary>The benchmark's tasks, read from the data cache with their splits written to (or checked against) the model cache.</summary>
/// <param name="Classification">Spam and Brown genres.</param>
/// <param name="Retrieval">LibreOffice help retrieval.</param>
public sealed record BenchTasks(IReadOnlyList<ClassificationTask> Classification, IReadOnlyList<RetrievalTask> Retrieval);

/// <summary>Runs the lineage benchmark's rows.</summary>
public static class LineageBenchmark
{
    /// <summary>The anchor row's id.</summary>
    public const string Sklearn = "sklearn-tfidf-lr";

    /// <summary>The interpreter the anchor row runs.</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>The neural rows trained here that can also be fine-tuned (classification only), in lineage order.</summary>
    public static IReadOnlyList<string> Tunable { get; } = [.. ByteLmRows.Ids, .. ScratchBertRows.Ids, ScratchT5Rows.Id];

    /// <summary>
    /// Every row id: the classical representations in lineage order, the neural models trained here (frozen, then the
    /// same fine-tuned, "-ft", classification only), the pretrained encoders, then the anchor.
    /// </summary>
    public static IReadOnlyList<string> Representations { get; } =
        [.. TextRepresentations.All, .. Tunable, .. ByteLmRows.LastIds, .. Tunable.Select(id => id + FineTuneOptions.Suffix), .. ClipTextRows.Ids, .. PretrainedRows.Ids, Sklearn];

    /// <summary>
    /// Reads the tasks named in <paramref name="only"/> (all when null) from <paramref name="data"/>'s cache, each split
    /// written to <c>{models}/lineage.tasks/splits/{task}-seed{seed}.json</c> or verified against it.
    /// </summary>
    public static BenchTasks LoadTasks(DataStore data, string modelsRoot, int seed, IReadOnlyCollection<string>? only = null, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrEmpty(modelsRoot);
        bool Wanted(string id) => only is null || only.Contains(id);
        var classification = new List<ClassificationTask>();
        var retrieval = new List<RetrievalTask>();
        void Record(TaskSplit split)
        {
            var path = SplitPath(modelsRoot, split.Task, seed);
            bool wrote = split.WriteOrVerify(path);
            log?.Invoke($"{split.Task}: {split.Train.Count:N0} train / {split.Test.Count:N0} test documents, split {(wrote ? "written to" : "checked against")} {path}");
        }

        if (Wanted(BenchmarkTasks.Spam))
        {
            var t = BenchmarkTasks.ReadSpam(data.Require(DataCatalog.SpamAssassin, log), seed);
            Record(t.Split);
            classification.Add(t);
        }

        if (Wanted(BenchmarkTasks.BrownGenres))
        {
            var t = BenchmarkTasks.ReadBrownGenres(data.Require(DataCatalog.Brown, log), seed);
            Record(t.Split);
            classification.Add(t);
        }

        if (Wanted(BenchmarkTasks.LibreOfficeRetrieval))
        {
            var t = BenchmarkTasks.ReadLibreOfficeRetrieval(data.Require(DataCatalog.LibreOfficeHelpEnglish, log), seed);
            Record(t.Split);
            retrieval.Add(t);
        }

        return new BenchTasks(classification, retrieval);
    }

    /// <summary>Where a task's split file lives in the model cache.</summary>
    public static string SplitPath(string modelsRoot, string task, int seed) =>
        Path.Combine(modelsRoot, "lineage.tasks", "splits", string.Create(CultureInfo.InvariantCulture, $"{task}-seed{seed}.json"));

    /// <summary>One classification row: <paramref name="representation"/> (a <see cref="TextRepresentations"/> id or <see cref="Sklearn"/>) on <paramref name="task"/>.</summary>
    public static BenchRow Run(ClassificationTask task, string representation, ProbeOptions probe, int seed, int threads = 1, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(probe);
        if (representation == Sklearn) return SklearnAnchor(task, seed, cancellation);
        var r = TextRepresentations.Create(representation, seed, threads);
        Dictionary<string, double> metrics = [];
        double trainSeconds = 0, perSecond = 0, l2 = probe.L2;
        long parameters = 0;
        long peak = Measured(() =>
        {
            var clock = Stopwatch.StartNew();
            var trainTexts = task.Train.Select(i => i.Text).ToList();
            r.Fit(trainTexts, cancellation);
            var scored = Classify(task, r.Transform(trainTexts), r.Transform, probe, seed, clock, cancellation);
            (metrics, l2, trainSeconds, perSecond) = (scored.Metrics, scored.L2, scored.TrainSeconds, scored.TextsPerSecond);
            parameters = r.Parameters + scored.ProbeParameters;
        });
        return new BenchRow(task.Id, r.Id, r.Name, r.LineageStep, metrics, r.Features, parameters, trainSeconds, perSecond, peak, ProbeNote(probe, l2));
    }

    /// <summary>What a classification row's note says about its probe: the scaling and the λ used (and that it was validated).</summary>
    public static string ProbeNote(ProbeOptions probe, double l2)
    {
        ArgumentNullException.ThrowIfNull(probe);
        return string.Create(CultureInfo.InvariantCulture,
            $"probe: {probe.Scaling switch { ProbeScaling.None => "centred, unscaled", ProbeScaling.Global => "centred, one global scale", _ => "standardised per column" }}, λ = {l2:G3}{(probe.L2Grid is { Count: > 0 } ? " (chosen on a fold of the training split)" : "")}");
    }

    /// <summary>One retrieval row: features fitted on the training pairs' queries and documents, held-out queries ranked by cosine.</summary>
    public static BenchRow Run(RetrievalTask task, string representation, int seed, int threads = 1, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (representation == Sklearn) return SklearnAnchor(task, seed, cancellation);
        var r = TextRepresentations.Create(representation, seed, threads);
        Dictionary<string, double> metrics = [];
        double trainSeconds = 0, perSecond = 0;
        long peak = Measured(() =>
        {
            var clock = Stopwatch.StartNew();
            r.Fit([.. task.Train.Select(p => p.Query), .. task.Train.Select(p => p.Document)], cancellation);
            trainSeconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            var ranked = Rank(task, r.Transform, r.Transform);
            (metrics, perSecond) = (ranked.Metrics, ranked.TextsPerSecond);
        });
        return new BenchRow(task.Id, r.Id, r.Name, r.LineageStep, metrics, r.Features, r.Parameters, trainSeconds, perSecond, peak);
    }

    /// <summary>What a classification row's held-out side measured: the probe fitted on the training features, then the test texts featurised and scored.</summary>
    internal sealed record Classified(Dictionary<string, double> Metrics, double L2, long ProbeParameters, double TrainSeconds, double TextsPerSecond);

    /// <summary>
    /// The protocol's classification step for every row: fit the probe on <paramref name="x"/> (the training texts' features),
    /// stop the training clock (<paramref name="clock"/>, started by the caller before its own fitting), featurise the test
    /// texts with <paramref name="featurise"/> on a fresh clock, and score accuracy and macro-F1.
    /// </summary>
    internal static Classified Classify(ClassificationTask task, CsrMatrix<double> x, Func<IReadOnlyList<string>, CsrMatrix<double>> featurise, ProbeOptions probe,
        int seed, Stopwatch clock, CancellationToken cancellation)
    {
        var (model, l2) = probe.FitProbe(x, [.. task.Train.Select(i => i.Label)], task.Labels.Count, seed, cancellation);
        double trainSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var test = featurise([.. task.Test.Select(i => i.Text)]);
        double perSecond = task.Test.Count / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
        var scores = TaskMetrics.Classification(model.Predict(test), [.. task.Test.Select(i => i.Label)], task.Labels.Count);
        return new Classified(new() { ["accuracy"] = scores.Accuracy, ["macro_f1"] = scores.MacroF1 }, l2, model.Parameters, trainSeconds, perSecond);
    }

    /// <summary>What a retrieval row measured: R@1, R@10 and MRR, texts featurised per second, and the feature count.</summary>
    internal sealed record Ranked(Dictionary<string, double> Metrics, double TextsPerSecond, int Features);

    /// <summary>
    /// The protocol's retrieval step for every row: the held-out queries and documents featurised (timed together), each
    /// query's documents ranked by cosine.
    /// </summary>
    internal static Ranked Rank(RetrievalTask task, Func<IReadOnlyList<string>, CsrMatrix<double>> queries, Func<IReadOnlyList<string>, CsrMatrix<double>> documents)
    {
        var clock = Stopwatch.StartNew();
        var q = queries([.. task.Test.Select(p => p.Query)]);
        var d = documents([.. task.Test.Select(p => p.Document)]);
        double perSecond = 2 * task.Test.Count / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
        var scores = TaskMetrics.Retrieval(TaskMetrics.Ranks(TaskMetrics.Cosine(q, d), task.Test.Count));
        return new Ranked(new() { ["recall_at_1"] = scores.RecallAt1, ["recall_at_10"] = scores.RecallAt10, ["mrr"] = scores.Mrr }, perSecond, q.Columns);
    }

    // The resident peak a row adds: the managed heap is first collected aggressively (decommitting what the previous row
    // freed), else the row would reuse that memory and look cheaper than it is.
    internal static long Measured(Action action)
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return PeakMemory.Measure(action);
    }

    /// <summary>
    /// Every requested row of every task, classification tasks first, rows in <see cref="Representations"/> order; the
    /// pretrained rows read their encoders from <paramref name="data"/> (imported into <paramref name="modelsRoot"/>);
    /// <paramref name="bert"/> sizes the scratch BERT row (default: the tour's transformers.bert settings);
    /// <paramref name="queryPrefix"/> false drops the retrieval query prefix a model card asks for (for comparison).
    /// </summary>
    public static List<BenchRow> RunAll(BenchTasks tasks, IReadOnlyCollection<string>? representations, ProbeOptions probe, int seed, DataStore data, string modelsRoot,
        int threads = 1, Action<BenchRow>? done = null, bool queryPrefix = true, BertRobertaSettings? bert = null, CancellationToken cancellation = default)
    {
        var bertSettings = bert ?? BertRobertaSettings.Default(seed);
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(data);
        var ids = representations is null ? Representations : Representations.Where(representations.Contains).ToList();
        var rows = new List<BenchRow>();
        void Add(BenchRow row)
        {
            rows.Add(row);
            done?.Invoke(row);
        }

        var byteLm = ByteLmRowSettings.Default(seed);
        var t5 = T5RowSettings.Default(seed);
        var tune = new FineTuneOptions();
        foreach (var t in tasks.Classification)
        {
            foreach (var id in ids)
            {
                string tuned = id.EndsWith(FineTuneOptions.Suffix, StringComparison.Ordinal) ? id[..^FineTuneOptions.Suffix.Length] : "";
                Add(ScratchBertRows.Ids.Contains(id) ? ScratchBertRows.Run(t, id, bertSettings, modelsRoot, probe, seed, cancellation)
                    : ScratchBertRows.Ids.Contains(tuned) ? ScratchBertRows.FineTuned(t, tuned, bertSettings, modelsRoot, tune, seed, cancellation)
                    : ByteLmRows.Frozen.Contains(id) ? ByteLmRows.Run(t, id, byteLm, modelsRoot, probe, seed, cancellation)
                    : ByteLmRows.Ids.Contains(tuned) ? ByteLmRows.FineTuned(t, tuned, byteLm, modelsRoot, tune, seed, cancellation)
                    : id == ScratchT5Rows.Id ? ScratchT5Rows.Run(t, t5, modelsRoot, probe, seed, cancellation)
                    : tuned == ScratchT5Rows.Id ? ScratchT5Rows.FineTuned(t, t5, modelsRoot, tune, seed, cancellation)
                    : ClipTextRows.Ids.Contains(id) ? ClipTextRows.Run(t, id, data, modelsRoot, probe, seed, cancellation: cancellation)
                    : PretrainedRows.Ids.Contains(id) ? PretrainedRows.Run(t, PretrainedModels.Get(id), data, modelsRoot, probe, seed, cancellation)
                    : Run(t, id, probe, seed, threads, cancellation));
            }
        }

        // Retrieval has no labels to fine-tune on (its protocol is frozen vectors and cosine): the "-ft" rows are classification only.
        foreach (var t in tasks.Retrieval)
        {
            foreach (var id in ids.Where(i => !i.EndsWith(FineTuneOptions.Suffix, StringComparison.Ordinal)))
            {
                Add(ScratchBertRows.Ids.Contains(id) ? ScratchBertRows.Run(t, id, bertSettings, modelsRoot, cancellation)
                    : ByteLmRows.Frozen.Contains(id) ? ByteLmRows.Run(t, id, byteLm, modelsRoot, cancellation)
                    : id == ScratchT5Rows.Id ? ScratchT5Rows.Run(t, t5, modelsRoot, cancellation)
                    : ClipTextRows.Ids.Contains(id) ? ClipTextRows.Run(t, id, data, modelsRoot, seed, cancellation: cancellation)
                    : PretrainedRows.Ids.Contains(id) ? PretrainedRows.Run(t, PretrainedModels.Get(id), data, modelsRoot, queryPrefix, cancellation)
                    : Run(t, id, seed, threads, cancellation));
            }
        }

        return rows;
    }

    /// <summary>Whether <see cref="Python"/> imports scikit-learn (the anchor row needs it); <paramref name="why"/> says why not.</summary>
    public static bool SklearnAvailable(out string why)
    {
        if (!File.Exists(Python))
        {
            why = $"{Python} is absent";
            return false;
        }

        var (code, output) = RunPython(["-c", "import sklearn, numpy; print(sklearn.__version__)"], TimeSpan.FromSeconds(60), default);
        why = code == 0 ? output.Trim() : "scikit-learn is not installed (apt-get install python3-sklearn)";
        return code == 0;
    }

    // scikit-learn on the same split: TfidfVectorizer() + LogisticRegression(max_iter=1000) (lbfgs, C = 1), or TF-IDF cosine retrieval.
    private static BenchRow SklearnAnchor(ClassificationTask task, int seed, CancellationToken cancellation)
    {
        var input = new
        {
            kind = "classification",
            seed,
            train_texts = task.Train.Select(i => i.Text),
            train_labels = task.Train.Select(i => i.Label),
            test_texts = task.Test.Select(i => i.Text),
            test_labels = task.Test.Select(i => i.Label),
            classes = task.Labels.Count,
        };
        return Anchor(task.Id, input, cancellation);
    }

    private static BenchRow SklearnAnchor(RetrievalTask task, int seed, CancellationToken cancellation)
    {
        var input = new
        {
            kind = "retrieval",
            seed,
            train_texts = task.Train.Select(p => p.Query).Concat(task.Train.Select(p => p.Document)),
            queries = task.Test.Select(p => p.Query),
            documents = task.Test.Select(p => p.Document),
        };
        return Anchor(task.Id, input, cancellation);
    }

    private const string AnchorName = "scikit-learn TfidfVectorizer + LogisticRegression (outside anchor)";

    private static BenchRow Anchor(string task, object input, CancellationToken cancellation)
    {
        if (!SklearnAvailable(out var why))
            return new BenchRow(task, Sklearn, AnchorName, "anchor", new Dictionary<string, double>(), 0, 0, double.NaN, double.NaN, -1, $"not available: {why}");
        var folder = Path.Combine(Path.GetTempPath(), $"lineage-anchor-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            string script = Path.Combine(folder, "anchor.py"), data = Path.Combine(folder, "input.json");
            File.WriteAllText(script, AnchorScript);
            AtomicFile.WriteAllText(data, JsonSerializer.Serialize(input));
            var (code, output) = RunPython([script, data], TimeSpan.FromMinutes(20), cancellation);
            if (code != 0) throw new InvalidOperationException($"The scikit-learn anchor failed ({code}): {output.Trim()}");
            var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last();
            var r = JsonSerializer.Deserialize<Dictionary<string, double>>(line) ?? throw new InvalidDataException("The scikit-learn anchor printed nothing.");
            var metrics = r.Where(kv => kv.Key is "accuracy" or "macro_f1" or "recall_at_1" or "recall_at_10" or "mrr").ToDictionary(kv => kv.Key, kv => kv.Value);
            return new BenchRow(task, Sklearn, AnchorName, "anchor", metrics, (int)r["features"], (long)r["parameters"], r["train_seconds"], r["texts_per_second"], (long)r["peak_bytes"],
                "its own process: peak is that process's whole resident high-water mark");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static (int Code, string Output) RunPython(IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellation)
    {
        var info = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        info.Environment["OMP_NUM_THREADS"] = "1";
        info.Environment["OPENBLAS_NUM_THREADS"] = "1";
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{Python} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellation);
        var stderr = process.StandardError.ReadToEndAsync(cancellation);
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            return (124, "timed out");
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    // The anchor: scikit-learn's defaults (TfidfVectorizer(), LogisticRegression(max_iter=1000)), timed as our rows are.
    private const string AnchorScript = """
        import json, resource, sys, time
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import accuracy_score, f1_score

        d = json.load(open(sys.argv[1], encoding="utf-8"))
        out = {}
        t0 = time.perf_counter()
        vec = TfidfVectorizer()
        if d["kind"] == "classification":
            x = vec.fit_transform(d["train_texts"])
            clf = LogisticRegression(max_iter=1000, random_state=d["seed"]).fit(x, d["train_labels"])
            out["train_seconds"] = time.perf_counter() - t0
            t1 = time.perf_counter()
            xt = vec.transform(d["test_texts"])
            out["texts_per_second"] = len(d["test_texts"]) / max(time.perf_counter() - t1, 1e-9)
            pred = clf.predict(xt)
            out["accuracy"] = accuracy_score(d["test_labels"], pred)
            out["macro_f1"] = f1_score(d["test_labels"], pred, labels=list(range(d["classes"])), average="macro", zero_division=0)
            out["parameters"] = len(vec.vocabulary_) + clf.coef_.size + clf.intercept_.size
        else:
            vec.fit(d["train_texts"])
            out["train_seconds"] = time.perf_counter() - t0
            t1 = time.perf_counter()
            q = vec.transform(d["queries"])
            docs = vec.transform(d["documents"])
            out["texts_per_second"] = 2 * len(d["queries"]) / max(time.perf_counter() - t1, 1e-9)
            s = (q @ docs.T).toarray()
            answer = np.diag(s)
            ranks = (s >= answer[:, None]).sum(axis=1)  # 1 + the other documents scoring at least the answer
            out["recall_at_1"] = float(np.mean(ranks == 1))
            out["recall_at_10"] = float(np.mean(ranks <= 10))
            out["mrr"] = float(np.mean(1.0 / ranks))
            out["parameters"] = len(vec.vocabulary_)
        out["features"] = len(vec.vocabulary_)
        out["peak_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(json.dumps({k: float(v) for k, v in out.items()}))
        """;
}
