// The benchmark's recurrent rows: the sequence chapter's byte-level LSTM (and the same network with a GRU cell), trained
// as a language model on the TASK's training texts only (as the word-vector and scratch-BERT rows are), then frozen; a
// text's vector is the mean of the top layer's hidden states over its first bytes, put through the same probe or cosine
// ranking as every other row.
// Paper:   Hochreiter & Schmidhuber 1997 (LSTM); Cho et al. 2014 (GRU); the mean of a language model's states as a text
//          feature is the simplest frozen-encoder probe (Conneau et al. 2017 compare such poolings).
// Lineage: between the word-vector means (one vector per word, no order) and the transformers: the state carries word
//          order and context, but one left-to-right pass and a fixed-size state.
// Recipe:  `sequence.bytenet-lm`'s LSTM size and steps (embedding 48, hidden 192, 16 windows of 192 bytes, 150 steps,
//          learning rate 3e-3, Adam, clip 1) on the task's training texts, every tenth of them held out for the
//          training's bits-per-byte; cached per task, split, cell and settings (models/lineage.tasks-{cell}-{task}), so a
//          rerun only featurises and reports the cached training seconds in its note.
using System.Globalization;
using System.Text;
using Lineage.Data.Benchmark;
using Lineage.Experiments.Results;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Sequence;
using static TorchSharp.torch;

namespace Lineage.Experiments.Benchmark;

/// <summary>How the recurrent rows train and featurise.</summary>
/// <param name="Embedding">Byte embedding size E.</param>
/// <param name="Hidden">State size H (the feature count).</param>
/// <param name="Batch">Windows per step.</param>
/// <param name="Length">Bytes per training window.</param>
/// <param name="Steps">Training steps.</param>
/// <param name="LearningRate">Adam's rate.</param>
/// <param name="FeatureBytes">Bytes of each text the features read (its first ones).</param>
/// <param name="Seed">Seeds the initialisation and the batches.</param>
public sealed record RecurrentRowSettings(int Embedding = 48, int Hidden = 192, int Batch = 16, int Length = 192, int Steps = 150, double LearningRate = 3e-3,
    int FeatureBytes = 512, int Seed = 1)
{
    /// <summary>The sequence chapter's LSTM recipe with this run's seed.</summary>
    public static RecurrentRowSettings Default(int seed) => new(Seed: seed);
}

/// <summary>LSTM and GRU language models trained on the task's texts, as benchmark rows.</summary>
public static class ScratchRecurrentRows
{
    /// <summary>The LSTM row's id.</summary>
    public const string Lstm = "lstm-scratch";

    /// <summary>The GRU row's id.</summary>
    public const string Gru = "gru-scratch";

    /// <summary>Both ids, in the lineage's order.</summary>
    public static IReadOnlyList<string> Ids { get; } = [Lstm, Gru];

    /// <summary>The rows' lineage step.</summary>
    public const string Step = "recurrent network, trained here";

    /// <summary>The cell of a row id.</summary>
    public static CellKind Cell(string id) => id == Gru ? CellKind.Gru : id == Lstm ? CellKind.Lstm : throw new ArgumentException($"Not a recurrent row: {id}.", nameof(id));

    /// <summary>The language model trained on <paramref name="texts"/> (or read from the cache), its training seconds, and whether it was reused.</summary>
    /// <exception cref="ArgumentException">Too little text for the training windows.</exception>
    public static (RecurrentLm Model, double TrainSeconds, bool Reused) Pretrained(string id, string taskId, TaskSplit split, IReadOnlyList<string> texts,
        RecurrentRowSettings settings, string modelsRoot, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(settings);
        var cell = Cell(id);
        var s = settings;
        var entry = new ModelCache(modelsRoot).Entry($"lineage.tasks-{cell.ToString().ToLowerInvariant()}-{taskId}", new { s, cell, split.Seed, Train = FrozenEncoderRows.SplitHash(split) }, []);
        var config = new RecurrentLmConfig(cell, s.Embedding, s.Hidden);
        Seeding.Seed(s.Seed);
        var model = new RecurrentLm(config);
        var (history, origin) = entry.LoadOrTrain(model, () =>
        {
            string train = string.Join("\n\n", texts.Where((_, i) => i % 10 != 0)), heldOut = string.Join("\n\n", texts.Where((_, i) => i % 10 == 0));
            var corpus = ByteCorpus.FromText(train, heldOut, $"{taskId} training texts");
            var options = new StepTrainingOptions(s.Steps, s.LearningRate, GradClip: 1.0, EvaluateEvery: Math.Max(1, s.Steps / 3));
            return ByteLm.Train(model, corpus, s.Batch, s.Length, s.Seed, options, null, null, cancellation);
        });
        model.eval();
        return (model, history.TrainSeconds, origin == ModelOrigin.Reused);
    }

    /// <summary>Mean of the top layer's hidden states over each text's first <paramref name="bytes"/> UTF-8 bytes, (N, H) dense; batches of 32, no gradients.</summary>
    public static Lineage.Text.Encodings.CsrMatrix<double> Features(RecurrentLm model, IReadOnlyList<string> texts, int bytes, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(texts);
        int h = model.Config.Hidden;
        var values = new double[(long)texts.Count * h];
        using var _ = no_grad();
        for (int start = 0; start < texts.Count; start += 32)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var batch = texts.Skip(start).Take(32).Select(t => Bytes(t, bytes)).ToList();
            int longest = batch.Max(b => b.Length);
            var ids = new long[batch.Count * longest];
            var mask = new float[batch.Count * longest];
            for (int b = 0; b < batch.Count; b++)
                for (int t = 0; t < batch[b].Length; t++)
                {
                    ids[(b * longest) + t] = batch[b][t];
                    mask[(b * longest) + t] = 1;
                }

            // Padding sits after each text's bytes, so a left-to-right state never reads it; the mean skips it.
            var hidden = model.Hidden(tensor(ids, [batch.Count, longest]));
            var m = tensor(mask, [batch.Count, longest, 1]);
            var rows = ((hidden * m).sum(1) / m.sum(1).clamp_min(1)).contiguous().data<float>().ToArray();
            for (int b = 0; b < batch.Count; b++)
                for (int k = 0; k < h; k++) values[((long)(start + b) * h) + k] = rows[(b * h) + k];
        }

        return WordVectorMean.Dense(values, texts.Count, h);
    }

    /// <summary>A classification row: train (or reuse) on the training texts, featurise, fit the probe.</summary>
    public static BenchRow Run(ClassificationTask task, string id, RecurrentRowSettings settings, string modelsRoot, ProbeOptions probe, int seed, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(settings);
        return FrozenEncoderRows.Run(task, id, Name(id, settings), Step, settings.Hidden, texts => Load(id, task.Id, task.Split, texts, settings, modelsRoot, cancellation),
            What, probe, seed, cancellation);
    }

    /// <summary>A retrieval row: train (or reuse) on the training pairs' queries and documents, then rank held-out documents by cosine.</summary>
    public static BenchRow Run(RetrievalTask task, string id, RecurrentRowSettings settings, string modelsRoot, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(settings);
        return FrozenEncoderRows.Run(task, id, Name(id, settings), Step, settings.Hidden, texts => Load(id, task.Id, task.Split, texts, settings, modelsRoot, cancellation), What);
    }

    private const string What = "language model, trained";

    private static FrozenEncoder Load(string id, string taskId, TaskSplit split, IReadOnlyList<string> texts, RecurrentRowSettings settings, string modelsRoot,
        CancellationToken cancellation)
    {
        var (model, seconds, reused) = Pretrained(id, taskId, split, texts, settings, modelsRoot, cancellation);
        return new FrozenEncoder(model, t => Features(model, t, settings.FeatureBytes, cancellation), seconds, reused);
    }

    /// <summary>A text's first <paramref name="count"/> UTF-8 bytes (at least one: an empty text reads as one space).</summary>
    private static byte[] Bytes(string text, int count)
    {
        var all = Encoding.UTF8.GetBytes(text.Length == 0 ? " " : text);
        return all.Length <= count ? all : all[..count];
    }

    private static string Name(string id, RecurrentRowSettings s) => string.Create(CultureInfo.InvariantCulture,
        $"{(id == Gru ? "GRU" : "LSTM")} byte LM from scratch (hidden {s.Hidden}, mean of states over the first {s.FeatureBytes} bytes)");
}
