// The protocol shared by the benchmark rows whose encoder is a neural model trained on the task's texts (the scratch
// BERT, the recurrent language models): train it or read it from the model cache, freeze it, featurise the texts,
// then the same probe (classification) or cosine ranking (retrieval) as every other row, with the row's cost columns.
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Lineage.Data.Benchmark;
using Lineage.Text.Encodings;
using Lineage.Neural.Core.Training;
using Lineage.Text.Determinism;
using TorchSharp;

namespace Lineage.Experiments.Benchmark;

/// <summary>A trained, frozen encoder as a row uses it.</summary>
/// <param name="Model">The module (disposed when the row is done).</param>
/// <param name="Width">Features per text.</param>
/// <param name="Pool">A batch of texts → their vectors (B, <paramref name="Width"/>), differentiable through the model.</param>
/// <param name="TrainSeconds">How long its training took (in this run or when it was cached).</param>
/// <param name="Reused">Read from the model cache rather than trained in this run.</param>
/// <param name="Source">What it was trained on, for the row's note.</param>
/// <param name="UsedParameters">The parameters the row's vectors depend on, when not all of <paramref name="Model"/>'s (a dual encoder's text tower).</param>
internal sealed record FrozenEncoder(torch.nn.Module Model, int Width, Func<IReadOnlyList<string>, torch.Tensor> Pool, double TrainSeconds, bool Reused,
    string Source = "the task's training texts", long? UsedParameters = null)
{
    /// <summary>The parameters the row counts.</summary>
    public long Parameters => UsedParameters ?? Model.parameters().Sum(p => p.numel());

    /// <summary>Texts → (N, <see cref="Width"/>) dense rows, in batches of 32 without gradients.</summary>
    public CsrMatrix<double> Features(IReadOnlyList<string> texts, CancellationToken cancellation) => FrozenEncoderRows.Features(Pool, Width, texts, 32, cancellation);
}

/// <summary>
/// How every fine-tuned row trains (the "fixed small budget", one for every model): a fresh linear head on the
/// row's text vector, the whole network and the head trained together on the task's training texts with cross-entropy.
/// </summary>
/// <param name="Steps">Steps (120: the BERT chapter's fine-tuning).</param>
/// <param name="Batch">Training texts per step, drawn at random (seeded by the step).</param>
/// <param name="LearningRate">Adam's rate for every parameter (3e-4: the chapter's).</param>
/// <param name="GradClip">Global gradient-norm clip.</param>
public sealed record FineTuneOptions(int Steps = 120, int Batch = 32, double LearningRate = 3e-4, double GradClip = 1.0)
{
    /// <summary>The row-id suffix of a fine-tuned row.</summary>
    public const string Suffix = "-ft";

    /// <summary>What a fine-tuned row's note says about its training.</summary>
    public string Note => string.Create(CultureInfo.InvariantCulture,
        $"then fine-tuned with a linear head on its text vector, {Steps} steps × {Batch} texts, Adam {LearningRate:G3}, clip {GradClip:G3} (counted in train s)");
}

/// <summary>Runs a row whose encoder is trained on the task's own training texts.</summary>
internal static class FrozenEncoderRows
{
    /// <summary>A classification row: <paramref name="load"/> the encoder from the training texts, featurise, fit the probe, score the held-out texts.</summary>
    public static BenchRow Run(ClassificationTask task, string id, string name, string step, int features, Func<IReadOnlyList<string>, FrozenEncoder> load,
        string what, ProbeOptions probe, int seed, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(load);
        ArgumentNullException.ThrowIfNull(probe);
        Dictionary<string, double> metrics = [];
        double trainSeconds = 0, perSecond = 0, l2 = probe.L2;
        FrozenEncoder? loaded = null;
        long parameters = 0;
        long peak = LineageBenchmark.Measured(() =>
        {
            var clock = Stopwatch.StartNew();
            var trainTexts = task.Train.Select(i => i.Text).ToList();
            loaded = load(trainTexts);
            using (loaded.Model)
            {
                var scored = LineageBenchmark.Classify(task, loaded.Features(trainTexts, cancellation), t => loaded.Features(t, cancellation), probe, seed, clock, cancellation);
                (metrics, l2, trainSeconds, perSecond) = (scored.Metrics, scored.L2, scored.TrainSeconds, scored.TextsPerSecond);
                parameters = loaded.Parameters + scored.ProbeParameters;
            }
        });
        return new BenchRow(task.Id, id, name, step, metrics, features, parameters, trainSeconds, perSecond, peak,
            $"{Origin(what, loaded!)}; {LineageBenchmark.ProbeNote(probe, l2)}");
    }

    /// <summary>
    /// A fine-tuned classification row: <paramref name="load"/> the pre-trained encoder, train it with a fresh linear head
    /// (<paramref name="options"/>), then score the held-out texts by the head's argmax; no probe.
    /// </summary>
    public static BenchRow RunFineTuned(ClassificationTask task, string id, string name, string step, int features, Func<IReadOnlyList<string>, FrozenEncoder> load,
        string what, FineTuneOptions options, int seed, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(load);
        ArgumentNullException.ThrowIfNull(options);
        Dictionary<string, double> metrics = [];
        double trainSeconds = 0, perSecond = 0;
        FrozenEncoder? loaded = null;
        long parameters = 0;
        long peak = LineageBenchmark.Measured(() =>
        {
            var clock = Stopwatch.StartNew();
            var trainTexts = task.Train.Select(i => i.Text).ToList();
            var trainLabels = task.Train.Select(i => (long)i.Label).ToArray();
            loaded = load(trainTexts);
            using (loaded.Model)
            {
                Seeding.Seed(seed);
                using var head = torch.nn.Linear(loaded.Width, task.Labels.Count);
                var weights = loaded.Model.parameters().Concat(head.parameters()).ToList();
                using var optimizer = torch.optim.Adam(weights, options.LearningRate);
                loaded.Model.train();
                for (int s = 0; s < options.Steps; s++)
                {
                    cancellation.ThrowIfCancellationRequested();
                    using var scope = torch.NewDisposeScope();
                    var random = new Random(StableSeed.Of(seed, s));
                    var picked = Enumerable.Range(0, options.Batch).Select(_ => random.Next(trainTexts.Count)).ToArray();
                    var logits = head.forward(loaded.Pool([.. picked.Select(i => trainTexts[i])]));
                    var loss = torch.nn.functional.cross_entropy(logits, torch.tensor(picked.Select(i => trainLabels[i]).ToArray()));
                    optimizer.zero_grad();
                    loss.backward();
                    torch.nn.utils.clip_grad_norm_(weights, options.GradClip);
                    optimizer.step();
                }

                loaded.Model.eval();
                trainSeconds = clock.Elapsed.TotalSeconds;
                clock.Restart();
                var testTexts = task.Test.Select(i => i.Text).ToList();
                int classes = task.Labels.Count;
                var outputs = Features(t => head.forward(loaded.Pool(t)), classes, testTexts, 32, cancellation);   // the head's logits, batched as features are
                var predicted = Enumerable.Range(0, testTexts.Count).Select(r => Enumerable.Range(0, classes).MaxBy(c => outputs[r, c])).ToList();

                perSecond = testTexts.Count / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                var scores = TaskMetrics.Classification(predicted, [.. task.Test.Select(i => i.Label)], task.Labels.Count);
                metrics = new() { ["accuracy"] = scores.Accuracy, ["macro_f1"] = scores.MacroF1 };
                parameters = weights.Sum(p => p.numel());
            }
        });
        return new BenchRow(task.Id, id, name, step, metrics, features, parameters, trainSeconds, perSecond, peak, $"{Origin(what, loaded!)}, {options.Note}");
    }

    /// <summary>A retrieval row: <paramref name="load"/> the encoder from the training pairs' queries and documents, then rank held-out documents by cosine.</summary>
    public static BenchRow Run(RetrievalTask task, string id, string name, string step, int features, Func<IReadOnlyList<string>, FrozenEncoder> load, string what,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(load);
        Dictionary<string, double> metrics = [];
        double trainSeconds = 0, perSecond = 0;
        FrozenEncoder? loaded = null;
        long parameters = 0;
        long peak = LineageBenchmark.Measured(() =>
        {
            var clock = Stopwatch.StartNew();
            loaded = load([.. task.Train.Select(p => p.Query + ". " + p.Document)]);
            using (loaded.Model)
            {
                trainSeconds = clock.Elapsed.TotalSeconds;
                var ranked = LineageBenchmark.Rank(task, t => loaded.Features(t, cancellation), t => loaded.Features(t, cancellation));
                (metrics, perSecond) = (ranked.Metrics, ranked.TextsPerSecond);
                parameters = loaded.Parameters;
            }
        });
        return new BenchRow(task.Id, id, name, step, metrics, features, parameters, trainSeconds, perSecond, peak, Origin(what, loaded!));
    }

    /// <summary>Texts → (N, <paramref name="width"/>) dense rows: <paramref name="pool"/> over batches of <paramref name="batch"/>, without gradients.</summary>
    public static CsrMatrix<double> Features(Func<IReadOnlyList<string>, torch.Tensor> pool, int width, IReadOnlyList<string> texts, int batch, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(texts);
        var values = new double[(long)texts.Count * width];
        using var _ = torch.no_grad();
        for (int start = 0; start < texts.Count; start += batch)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            var chunk = texts.Skip(start).Take(batch).ToList();
            var rows = pool(chunk).contiguous().data<float>().ToArray();
            for (int i = 0; i < rows.Length; i++) values[((long)start * width) + i] = rows[i];
        }

        return WordVectorMean.Dense(values, texts.Count, width);
    }

    /// <summary>The mean (B, C) of <paramref name="hidden"/> (B, T, C) over the positions <paramref name="real"/> (B, T) marks (true or 1); a row with none is 0.</summary>
    public static torch.Tensor MaskedMean(torch.Tensor hidden, torch.Tensor real)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(real);
        using var scope = torch.NewDisposeScope();
        var mask = real.unsqueeze(-1).to_type(torch.ScalarType.Float32);
        return ((hidden * mask).sum(1) / mask.sum(1).clamp_min(1)).MoveToOuterDisposeScope();
    }

    /// <summary>A short hash of the split's training ids, for a cached encoder's key: another split trains another model.</summary>
    public static string SplitHash(TaskSplit split) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', split.Train))))[..16];

    /// <summary>Where the encoder came from, for the row's note ("encoder pre-trained here … in 42 s (counted in train s)").</summary>
    /// <remarks><paramref name="what"/> names the model and how it learned: "encoder, pre-trained" or "language model, trained".</remarks>
    private static string Origin(string what, FrozenEncoder e)
    {
        var parts = what.Split(", ");
        string noun = parts[0], verb = parts.Length > 1 ? parts[1] : "trained", gerund = verb.EndsWith("ed", StringComparison.Ordinal) ? verb[..^2] + "ing" : verb;
        return e.Reused
            ? string.Create(CultureInfo.InvariantCulture, $"{noun} from the model cache (its {gerund} took {e.TrainSeconds:0} s, not counted in train s)")
            : string.Create(CultureInfo.InvariantCulture, $"{noun} {verb} here on {e.Source} in {e.TrainSeconds:0} s (counted in train s)");
    }
}
