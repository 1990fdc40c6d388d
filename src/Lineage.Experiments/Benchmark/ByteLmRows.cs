// The benchmark's byte-level language-model rows: the sequence chapter's LSTM (and the same network with a GRU cell),
// its ByteNet, and the transformers chapter's byte-level GPT — the lineage from recurrence through dilated convolution to
// causal attention, at one size and one training budget — each trained as a language model on the TASK's training
// texts only (as the word-vector and scratch-BERT rows are), then frozen; a text's vector is the mean of the states the
// model's output head reads, over the text's first bytes, put through the same probe or cosine ranking as every row.
// Paper:   Hochreiter & Schmidhuber 1997 (LSTM); Cho et al. 2014 (GRU); Kalchbrenner et al. 2016 (ByteNet);
//          Radford et al. 2018/2019 (GPT); the mean of a language model's states as a text feature is the simplest
//          frozen-encoder probe (Conneau et al. 2017 compare such poolings).
// Lineage: between the word-vector means (one vector per word, no order) and the encoders: a state that carries word
//          order and context, read left to right — by a recurrence (one step after another, a fixed-size state), a
//          stack of causal convolutions (parallel in time, a fixed window of 125 bytes), or causal attention (every
//          earlier byte of a 256-byte context).
// Recipe:  `sequence.bytenet-lm`'s sizes and budget for all four (LSTM: embedding 48, hidden 192; ByteNet: 96 channels,
//          dilations 1…16 twice; GPT: 4 layers × 64, 4 heads, context 256, as `transformers.gpt`): 150 steps of 16
//          windows × 192 bytes, Adam 3e-3, clip 1, on the task's training texts, every tenth of them held out for the
//          training's bits per byte; cached per task, split, model and settings (models/lineage.tasks-{model}-{task}),
//          so a rerun only featurises and reports the cached training seconds in its note.
using System.Globalization;
using System.Text;
using Lineage.Data.Benchmark;
using Lineage.Experiments.Results;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Sequence;
using Lineage.Neural.Transformers;
using static TorchSharp.torch;

namespace Lineage.Experiments.Benchmark;

/// <summary>How the byte-LM rows train and featurise.</summary>
/// <param name="Embedding">LSTM/GRU byte embedding size.</param>
/// <param name="Hidden">LSTM/GRU state size (their feature count).</param>
/// <param name="ByteNetChannels">ByteNet's residual width 2d (its feature count).</param>
/// <param name="Gpt">The GPT's size (its width is its feature count).</param>
/// <param name="Batch">Windows per step.</param>
/// <param name="Length">Bytes per training window.</param>
/// <param name="Steps">Training steps.</param>
/// <param name="LearningRate">Adam's rate.</param>
/// <param name="FeatureBytes">Bytes of each text the features read (its first ones; a GPT reads them in windows of its context).</param>
/// <param name="Seed">Seeds the initialisation and the batches.</param>
public sealed record ByteLmRowSettings(int Embedding, int Hidden, int ByteNetChannels, GptConfig Gpt, int Batch, int Length, int Steps, double LearningRate,
    int FeatureBytes, int Seed)
{
    /// <summary>The sequence and transformers chapters' sizes and budget, with this run's seed.</summary>
    public static ByteLmRowSettings Default(int seed) =>
        new(48, 192, 96, new GptConfig(VocabSize: 256, ContextLength: 256, Layers: 4, Heads: 4, Dim: 64, Dropout: 0), 16, 192, 150, 3e-3, 512, seed);

    /// <summary>Unit-test sizes: every model a few thousand parameters, 20 steps.</summary>
    public static ByteLmRowSettings Tiny(int seed) =>
        new(8, 16, 16, new GptConfig(VocabSize: 256, ContextLength: 32, Layers: 1, Heads: 2, Dim: 16, Dropout: 0), 4, 32, 20, 3e-3, 256, seed);
}

/// <summary>Byte-level language models trained on the task's texts, as benchmark rows.</summary>
public static class ByteLmRows
{
    /// <summary>The LSTM row's id.</summary>
    public const string Lstm = "lstm-scratch";

    /// <summary>The GRU row's id.</summary>
    public const string Gru = "gru-scratch";

    /// <summary>The ByteNet row's id.</summary>
    public const string ByteNet = "bytenet-scratch";

    /// <summary>The GPT row's id.</summary>
    public const string Gpt = "gpt-scratch";

    /// <summary>Every id, in the lineage's order.</summary>
    public static IReadOnlyList<string> Ids { get; } = [Lstm, Gru, ByteNet, Gpt];

    /// <summary>The suffix of a row that reads a text's last state instead of the mean of its states.</summary>
    public const string LastSuffix = "-last";

    /// <summary>
    /// The last-state rows: the same trained (cached) LSTM and GPT, a text's vector the state at its last byte — the
    /// recurrence's classic sentence vector, and the last-token pooling of decoder embeddings (Neelakantan et al. 2022;
    /// SGPT, Muennighoff 2022) — where the GPT reads one context: the text's first <see cref="GptConfig.ContextLength"/> bytes.
    /// </summary>
    public static IReadOnlyList<string> LastIds { get; } = [Lstm + LastSuffix, Gpt + LastSuffix];

    /// <summary>Every frozen row: the mean rows, then the last-state rows.</summary>
    public static IReadOnlyList<string> Frozen { get; } = [.. Ids, .. LastIds];

    /// <summary>The trained model a row reads (a last-state row reads its mean row's).</summary>
    public static string Base(string id) => IsLast(id) ? id[..^LastSuffix.Length] : id;

    private static bool IsLast(string id) => id.EndsWith(LastSuffix, StringComparison.Ordinal);

    /// <summary>A row's lineage step.</summary>
    public static string Step(string id) => Base(id) switch
    {
        Lstm or Gru => "recurrent network, trained here",
        ByteNet => "dilated convolution, trained here",
        Gpt => "transformer decoder, trained here",
        _ => throw new ArgumentException($"Not a byte-LM row: {id}.", nameof(id)),
    };

    /// <summary>The model a row trains, freshly initialised from <see cref="ByteLmRowSettings.Seed"/>, and its configuration (part of the cache key).</summary>
    public static (nn.Module<Tensor, Tensor> Model, object Config) Create(string id, ByteLmRowSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var s = settings;
        object config = id switch
        {
            Lstm => new RecurrentLmConfig(CellKind.Lstm, s.Embedding, s.Hidden),
            Gru => new RecurrentLmConfig(CellKind.Gru, s.Embedding, s.Hidden),
            ByteNet => new ByteNetConfig(Channels: s.ByteNetChannels),
            Gpt => s.Gpt,
            _ => throw new ArgumentException($"Not a byte-LM row: {id}.", nameof(id)),
        };
        Seeding.Seed(s.Seed);
        nn.Module<Tensor, Tensor> model = config switch
        {
            RecurrentLmConfig r => new RecurrentLm(r),
            ByteNetConfig b => new Lineage.Neural.Sequence.ByteNet(b),
            _ => new Lineage.Neural.Transformers.Gpt((GptConfig)config),
        };
        return (model, config);
    }

    /// <summary>The language model trained on <paramref name="texts"/> (or read from the cache), its training seconds, and whether it was reused.</summary>
    /// <exception cref="ArgumentException">Too little text for the training windows.</exception>
    public static (nn.Module<Tensor, Tensor> Model, double TrainSeconds, bool Reused) Pretrained(string id, string taskId, TaskSplit split, IReadOnlyList<string> texts,
        ByteLmRowSettings settings, string modelsRoot, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(settings);
        var s = settings;
        id = Base(id);   // a last-state row reads its mean row's model
        var (model, config) = Create(id, s);
        var entry = new ModelCache(modelsRoot).Entry($"lineage.tasks-{id.Replace("-scratch", "", StringComparison.Ordinal)}-{taskId}",
            new { Model = config, s.Batch, s.Length, s.Steps, s.LearningRate, s.Seed, Split = split.Seed, Train = FrozenEncoderRows.SplitHash(split) }, []);
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

    /// <summary>Mean of the model's hidden states over each text's first <paramref name="bytes"/> UTF-8 bytes, (N, H) dense; batches of 32, no gradients.</summary>
    public static Lineage.Text.Encodings.CsrMatrix<double> Features(IHiddenStates model, IReadOnlyList<string> texts, int bytes, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return FrozenEncoderRows.Features(t => Pool(model, t, bytes), model.HiddenSize, texts, 32, cancellation);
    }

    /// <summary>
    /// The mean (B, H) of the model's hidden states over each text's first <paramref name="bytes"/> UTF-8 bytes; differentiable
    /// (fine-tuning trains through it). A model with a context (<see cref="IHiddenStates.MaxLength"/>) reads the bytes in
    /// consecutive windows of that length, each from a fresh context.
    /// </summary>
    public static Tensor Pool(IHiddenStates model, IReadOnlyList<string> texts, int bytes) => Pool(model, texts, bytes, last: false);

    /// <summary>The state (B, H) at each text's last byte, of its first <paramref name="bytes"/> capped at the model's context (one window); no gradients needed.</summary>
    public static Tensor Last(IHiddenStates model, IReadOnlyList<string> texts, int bytes)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Pool(model, texts, Math.Min(bytes, model.MaxLength ?? bytes), last: true);
    }

    private static Tensor Pool(IHiddenStates model, IReadOnlyList<string> texts, int bytes, bool last)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(texts);
        using var scope = NewDisposeScope();
        var batch = texts.Select(t => Bytes(t, bytes)).ToList();
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
        var all = tensor(ids, [batch.Count, longest]);
        int window = model.MaxLength ?? longest;
        var hidden = cat([.. Enumerable.Range(0, (longest + window - 1) / window)
            .Select(w => model.Hidden(all.narrow(1, (long)w * window, Math.Min(window, longest - (w * window)))))], dim: 1);
        if (last)
        {
            // Position t's state depends on bytes 0 … t only, so the state at the last real byte never reads padding.
            var at = tensor(batch.Select(b => (long)b.Length - 1).ToArray()).view(-1, 1, 1).expand(-1, 1, hidden.shape[2]);
            return hidden.gather(1, at).squeeze(1).MoveToOuterDisposeScope();
        }

        return FrozenEncoderRows.MaskedMean(hidden, tensor(mask, [batch.Count, longest])).MoveToOuterDisposeScope();
    }

    /// <summary>A classification row: train (or reuse) on the training texts, featurise, fit the probe.</summary>
    public static BenchRow Run(ClassificationTask task, string id, ByteLmRowSettings settings, string modelsRoot, ProbeOptions probe, int seed, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(settings);
        return FrozenEncoderRows.Run(task, id, Name(id, settings), Step(id), Width(id, settings), texts => Load(id, task.Id, task.Split, texts, settings, modelsRoot, cancellation),
            What, probe, seed, cancellation);
    }

    /// <summary>The fine-tuned classification row (<paramref name="id"/> + <see cref="FineTuneOptions.Suffix"/>): the trained (or cached) LM and a linear head, trained together.</summary>
    public static BenchRow FineTuned(ClassificationTask task, string id, ByteLmRowSettings settings, string modelsRoot, FineTuneOptions options, int seed, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(settings);
        return FrozenEncoderRows.RunFineTuned(task, id + FineTuneOptions.Suffix, Name(id, settings) + ", fine-tuned", Step(id).Replace("trained here", "trained and fine-tuned here", StringComparison.Ordinal),
            Width(id, settings), texts => Load(id, task.Id, task.Split, texts, settings, modelsRoot, cancellation), What, options, seed, cancellation);
    }

    /// <summary>A retrieval row: train (or reuse) on the training pairs' queries and documents, then rank held-out documents by cosine.</summary>
    public static BenchRow Run(RetrievalTask task, string id, ByteLmRowSettings settings, string modelsRoot, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(settings);
        return FrozenEncoderRows.Run(task, id, Name(id, settings), Step(id), Width(id, settings), texts => Load(id, task.Id, task.Split, texts, settings, modelsRoot, cancellation), What, cancellation);
    }

    private const string What = "language model, trained";

    private static FrozenEncoder Load(string id, string taskId, TaskSplit split, IReadOnlyList<string> texts, ByteLmRowSettings settings, string modelsRoot,
        CancellationToken cancellation)
    {
        var (model, seconds, reused) = Pretrained(id, taskId, split, texts, settings, modelsRoot, cancellation);
        var states = (IHiddenStates)model;
        return new FrozenEncoder(model, Width(id, settings), IsLast(id)
            ? t => Last(states, t, settings.FeatureBytes)
            : t => Pool(states, t, settings.FeatureBytes), seconds, reused);
    }

    /// <summary>A text's first <paramref name="count"/> UTF-8 bytes (at least one: an empty text reads as one space).</summary>
    private static byte[] Bytes(string text, int count)
    {
        var all = Encoding.UTF8.GetBytes(text.Length == 0 ? " " : text);
        return all.Length <= count ? all : all[..count];
    }

    private static int Width(string id, ByteLmRowSettings s) => Base(id) switch { ByteNet => s.ByteNetChannels, Gpt => s.Gpt.Dim, _ => s.Hidden };

    private static string Name(string id, ByteLmRowSettings s) => string.Create(CultureInfo.InvariantCulture, $"{Base(id) switch
    {
        ByteNet => $"ByteNet byte LM from scratch ({s.ByteNetChannels} channels, dilations 1–16 twice",
        Gpt => $"GPT byte LM from scratch ({s.Gpt.Layers} × {s.Gpt.Dim}, context {s.Gpt.ContextLength}",
        _ => $"{(id == Gru ? "GRU" : "LSTM")} byte LM from scratch (hidden {s.Hidden}",
    }}, {(IsLast(id)
        ? $"the state at the last of the first {(Base(id) == Gpt ? Math.Min(s.FeatureBytes, s.Gpt.ContextLength) : s.FeatureBytes)} bytes"
        : $"mean of states over the first {s.FeatureBytes} bytes")})");
}
