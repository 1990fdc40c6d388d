// The benchmark's scratch-trained T5 row: the tour's T5 (transformers.t5's size: SentencePiece 3,000 pieces with 8
// sentinels, 2 encoder and 2 decoder layers × 96 wide, 4 heads, feed-forward 256, relative position buckets) pre-trained
// by span corruption (Raffel et al. 2020 §3.1.4: 15 % of each 48-token window dropped in spans of mean length 3, the
// decoder writes the spans back) on the TASK's training texts only, then frozen; a text's vector is the masked mean of
// the ENCODER's last states over its first 48 pieces — the T5 encoder as a sentence encoder, as Sentence-T5 (Ni et al.
// 2022) reads it — put through the same probe or cosine ranking as every other row.
// Budget: BERT's row's 19,200 sequences (600 steps of 32 windows), Adam 1e-3 with 60 warm-up steps (`lineage t5
// pretrain`'s recipe), clip 1. Cached per task, split and settings with its vocabulary (models/lineage.tasks-t5-{task}),
// so a rerun only featurises and reports the cached pre-training seconds in its note.
using System.Globalization;
using Lineage.Data.Benchmark;
using Lineage.Experiments.Results;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Transformers;
using Lineage.Neural.Transformers.Training;
using Lineage.Text.Tokenization;
using static TorchSharp.torch;

namespace Lineage.Experiments.Benchmark;

/// <summary>How the T5 row pre-trains and featurises.</summary>
/// <param name="Model">The T5's size (its vocabulary size is the SentencePiece model's).</param>
/// <param name="Vocabulary">SentencePiece pieces, specials and sentinels included.</param>
/// <param name="Sentinels">Sentinel pieces reserved (a 48-token window needs 3).</param>
/// <param name="Length">Tokens per pre-training window and per featurised text.</param>
/// <param name="Batch">Windows per step.</param>
/// <param name="Steps">Pre-training steps.</param>
/// <param name="LearningRate">Adam's peak rate (linear warm-up over the first tenth of the steps).</param>
/// <param name="DocumentTokens">Words of each training text pre-trained on (its first ones, as BERT's row).</param>
/// <param name="Seed">Seeds the vocabulary, the initialisation and the windows.</param>
public sealed record T5RowSettings(T5Config Model, int Vocabulary, int Sentinels, int Length, int Batch, int Steps, double LearningRate, int DocumentTokens, int Seed)
{
    /// <summary>The tour's T5 size on BERT's row's budget.</summary>
    public static T5RowSettings Default(int seed) =>
        new(new T5Config(VocabSize: 0, Layers: 2, Heads: 4, Dim: 96, Hidden: 256, Dropout: 0, Buckets: 32, MaxDistance: 64), 3000, 8, 48, 32, 600, 1e-3, 256, seed);

    /// <summary>Unit-test sizes.</summary>
    public static T5RowSettings Tiny(int seed) =>
        new(T5Config.Tiny(0), 200, 4, 16, 4, 10, 1e-3, 64, seed);
}

/// <summary>The scratch T5 encoder as a benchmark row.</summary>
public static class ScratchT5Rows
{
    /// <summary>The row's id.</summary>
    public const string Id = "t5-scratch";

    /// <summary>The row's lineage step.</summary>
    public const string Step = "transformer encoder-decoder, trained here";

    /// <summary>The T5 and its vocabulary, pre-trained on <paramref name="texts"/> or read from the cache; the pre-training seconds, and whether it was reused.</summary>
    /// <exception cref="ArgumentException">Too little text for a window.</exception>
    /// <exception cref="InvalidOperationException">spm_train is not installed.</exception>
    public static (T5 Model, SentencePiece Vocabulary, double PretrainSeconds, bool Reused) Pretrained(string taskId, TaskSplit split, IReadOnlyList<string> texts,
        T5RowSettings settings, string modelsRoot, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(settings);
        var s = settings;
        var entry = new ModelCache(modelsRoot).Entry($"lineage.tasks-t5-{taskId}", new { s, split.Seed, Train = FrozenEncoderRows.SplitHash(split) }, []);
        var docs = texts.Select(t => TextToTextTasks.FirstWords(t, s.DocumentTokens)).Where(t => t.Length > 0).ToList();
        // Every tenth training text scores the held-out span-corruption loss during pre-training; the rest is pre-trained on.
        var pretrain = docs.Where((_, i) => i % 10 != 0).ToList();
        var heldOut = docs.Where((_, i) => i % 10 == 0).ToList();
        string? staged = null;
        SentencePiece spm;
        if (entry.CanReuse)
        {
            spm = SentencePiece.Load(entry.Path(SentencePiece.FileName));
        }
        else
        {
            staged = Path.Combine(Path.GetTempPath(), $"lineage-bench-spiece-{Guid.NewGuid():N}");
            Directory.CreateDirectory(staged);
            spm = SentencePiece.Train(pretrain, staged, s.Vocabulary, s.Sentinels, s.Seed, cancellation);
        }

        try
        {
            Seeding.Seed(s.Seed);
            var model = new T5(s.Model with { VocabSize = spm.VocabSize });
            var (history, origin) = entry.LoadOrTrain(model, () =>
            {
                var train = T5Pretraining.Stream(spm, pretrain);
                var held = T5Pretraining.Stream(spm, heldOut);
                var options = new StepTrainingOptions(s.Steps, s.LearningRate, GradClip: 1.0, EvaluateEvery: Math.Max(1, s.Steps / 4),
                    WarmupSteps: Math.Max(1, Math.Min(100, s.Steps / 10)));
                return T5Pretraining.Train(model, spm, train, held, s.Length, s.Batch, s.Seed, options, null, null, cancellation);
            }, dir => File.Copy(Path.Combine(staged!, SentencePiece.FileName), Path.Combine(dir, SentencePiece.FileName)));
            model.eval();
            return (model, spm, history.TrainSeconds, origin == ModelOrigin.Reused);
        }
        finally
        {
            if (staged is not null && Directory.Exists(staged)) Directory.Delete(staged, recursive: true);
        }
    }

    /// <summary>Mean of the encoder's last states over each text's first <paramref name="length"/> pieces (its &lt;/s&gt; last), (N, C) dense; batches of 64, no gradients.</summary>
    public static Lineage.Text.Encodings.CsrMatrix<double> Features(T5 model, SentencePiece vocabulary, IReadOnlyList<string> texts, int length, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return FrozenEncoderRows.Features(t => Pool(model, vocabulary, t, length), model.Config.Dim, texts, 64, cancellation);
    }

    /// <summary>The masked mean (B, C) of the encoder's last states for a batch of texts; differentiable (fine-tuning trains through it).</summary>
    public static Tensor Pool(T5 model, SentencePiece vocabulary, IReadOnlyList<string> texts, int length)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(texts);
        using var scope = NewDisposeScope();
        var (ids, padding) = EncoderPretraining.Pad([.. texts.Select(t => Pieces(vocabulary, t, length))], SentencePiece.PadId);
        return FrozenEncoderRows.MaskedMean(model.Encode(ids, padding), padding).MoveToOuterDisposeScope();
    }

    /// <summary>A classification row: pre-train (or reuse) on the training texts, featurise, fit the probe.</summary>
    public static BenchRow Run(ClassificationTask task, T5RowSettings settings, string modelsRoot, ProbeOptions probe, int seed, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(settings);
        return FrozenEncoderRows.Run(task, Id, Name(settings), Step, settings.Model.Dim, texts => Load(task.Id, task.Split, texts, settings, modelsRoot, cancellation),
            What, probe, seed, cancellation);
    }

    /// <summary>The fine-tuned classification row (<see cref="Id"/> + <see cref="FineTuneOptions.Suffix"/>): the pre-trained (or cached) encoder and a linear head on its mean state, trained together.</summary>
    public static BenchRow FineTuned(ClassificationTask task, T5RowSettings settings, string modelsRoot, FineTuneOptions options, int seed, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(settings);
        return FrozenEncoderRows.RunFineTuned(task, Id + FineTuneOptions.Suffix, Name(settings) + ", fine-tuned", "transformer encoder-decoder, pre-trained and fine-tuned here", settings.Model.Dim,
            texts => Load(task.Id, task.Split, texts, settings, modelsRoot, cancellation), What, options, seed, cancellation);
    }

    /// <summary>A retrieval row: pre-train (or reuse) on the training pairs' queries and documents, then rank held-out documents by cosine.</summary>
    public static BenchRow Run(RetrievalTask task, T5RowSettings settings, string modelsRoot, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(settings);
        return FrozenEncoderRows.Run(task, Id, Name(settings), Step, settings.Model.Dim, texts => Load(task.Id, task.Split, texts, settings, modelsRoot, cancellation), What, cancellation);
    }

    private const string What = "encoder-decoder, pre-trained";

    private static FrozenEncoder Load(string taskId, TaskSplit split, IReadOnlyList<string> texts, T5RowSettings settings, string modelsRoot, CancellationToken cancellation)
    {
        var (model, vocabulary, seconds, reused) = Pretrained(taskId, split, texts, settings, modelsRoot, cancellation);
        return new FrozenEncoder(model, settings.Model.Dim, t => Pool(model, vocabulary, t, settings.Length), seconds, reused);
    }

    /// <summary>A text's first <paramref name="length"/> − 1 pieces and &lt;/s&gt; (an empty text is &lt;/s&gt; alone).</summary>
    private static long[] Pieces(SentencePiece spm, string text, int length)
    {
        var ids = spm.Encode(text, endOfSequence: false);
        return [.. ids.Take(length - 1).Select(i => (long)i), SentencePiece.EosId];
    }

    private static string Name(T5RowSettings s) => string.Create(CultureInfo.InvariantCulture,
        $"T5 from scratch, span corruption ({s.Model.Layers} + {s.Model.Layers} layers × {s.Model.Dim}, {s.Length} pieces, mean of the encoder's last states)");
}
