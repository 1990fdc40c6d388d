// The benchmark's scratch-trained transformer row: the tour's BERT (transformers.bert's recipe and size: WordPiece 4,000,
// 2 layers × 96 wide, 4 heads, 48 tokens, masked-LM + next-sentence prediction on 19,200 sequences) pre-trained on the
// TASK's training texts only — as the word-vector rows are — then frozen; a text's vector is the masked mean of the last
// hidden states of its first 48 tokens, put through the same probe or cosine ranking as every other row.
// Why the task's texts and not the chapter's cached model: the chapter pre-trains on its own spam split's training e-mails
// and on Brown, so its model has read some of this benchmark's held-out e-mails and every Brown passage. The pre-trained
// encoder and its vocabulary are cached per task, split and settings (models/lineage.tasks-bert-{task}/…), so a second
// run only featurises; the row then reports the cached pre-training seconds in its note and 0 for pre-training.
using System.Globalization;
using System.Text;
using Lineage.Data.Benchmark;
using Lineage.Experiments.Results;
using Lineage.Experiments.Transformers;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Transformers;
using Lineage.Neural.Transformers.Training;
using Lineage.Text.Tokenization;
using static TorchSharp.torch;

namespace Lineage.Experiments.Benchmark;

/// <summary>The scratch BERT as a benchmark row.</summary>
public static class ScratchBertRows
{
    /// <summary>The row's id.</summary>
    public const string Id = "bert-scratch";

    /// <summary>The row's lineage step.</summary>
    public const string Step = "transformer, trained here";

    /// <summary>The encoder and its vocabulary, pre-trained on <paramref name="texts"/> or read from the cache; and how long pre-training took, and whether it was reused.</summary>
    /// <exception cref="ArgumentException">Too little text for BERT's sentence pairs.</exception>
    public static (Bert Model, EncoderVocabulary Vocabulary, double PretrainSeconds, bool Reused) Pretrained(string taskId, TaskSplit split, IReadOnlyList<string> texts,
        BertRobertaSettings settings, string modelsRoot, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(settings);
        var s = settings;
        var entry = new ModelCache(modelsRoot).Entry($"lineage.tasks-bert-{taskId}", new { s, split.Seed, Train = FrozenEncoderRows.SplitHash(split) }, []);
        var docs = texts.Select(t => TextToTextTasks.FirstWords(t, s.DocumentTokens)).ToList();
        // Every tenth training text scores the held-out masked-LM loss during pre-training; the rest is pre-trained on.
        var pretrain = docs.Where((_, i) => i % 10 != 0).ToList();
        var heldOut = docs.Where((_, i) => i % 10 == 0).ToList();
        bool reuse = entry.CanReuse;
        WordPiece wordPiece;
        string? staged = null;
        if (reuse)
        {
            wordPiece = WordPiece.Load(entry.Path(WordPiece.FileName));
        }
        else
        {
            staged = Path.Combine(Path.GetTempPath(), $"lineage-bench-wordpiece-{Guid.NewGuid():N}");
            wordPiece = WordPiece.Train(pretrain, staged, s.Vocabulary, cancellation: cancellation);
        }

        try
        {
            var recipe = EncoderRecipe.Bert(EncoderVocabulary.Bert(wordPiece), s.BertBatch, s.BertSteps, s.BertLearningRate);
            Seeding.Seed(s.Seed);
            var model = new Bert(recipe.Config(s.Length, s.Layers, s.Heads, s.Dim));
            var (history, origin) = entry.LoadOrTrain(model, () =>
            {
                var data = EncoderTraining.Prepare(recipe, pretrain, heldOut, s.Length, s.DocumentTokens, s.Seed);
                var options = new StepTrainingOptions(recipe.Steps, recipe.LearningRate, GradClip: 1.0, EvaluateEvery: Math.Max(1, recipe.Steps / 4));
                return EncoderTraining.Pretrain(model, data, options, null, null, cancellation);
            }, dir => File.Copy(Path.Combine(staged!, WordPiece.FileName), Path.Combine(dir, WordPiece.FileName)));
            model.eval();
            return (model, recipe.Vocabulary, history.TrainSeconds, origin == ModelOrigin.Reused);
        }
        finally
        {
            if (staged is not null && Directory.Exists(staged)) Directory.Delete(staged, recursive: true);
        }
    }

    /// <summary>Mean of the last hidden states over each text's first <paramref name="length"/> tokens ([CLS] … [SEP]), (N, C) dense; batches of 64, no gradients.</summary>
    public static Lineage.Text.Encodings.CsrMatrix<double> Features(Bert model, EncoderVocabulary vocabulary, IReadOnlyList<string> texts, int length, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(texts);
        int c = model.Config.Dim;
        var values = new double[(long)texts.Count * c];
        using var _ = no_grad();
        for (int start = 0; start < texts.Count; start += 64)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var batch = texts.Skip(start).Take(64).Select(t => EncoderTraining.ClassifierInput(vocabulary, t, length)).ToList();
            var (ids, padding) = EncoderPretraining.Pad(batch, vocabulary.Pad);
            var hidden = model.Encode(ids, padding, null);
            var mask = padding.unsqueeze(-1).to_type(ScalarType.Float32);
            var mean = (hidden * mask).sum(1) / mask.sum(1).clamp_min(1);
            var rows = mean.contiguous().data<float>().ToArray();
            for (int b = 0; b < batch.Count; b++)
            {
                for (int k = 0; k < c; k++) values[((long)(start + b) * c) + k] = rows[(b * c) + k];
            }
        }

        return WordVectorMean.Dense(values, texts.Count, c);
    }

    /// <summary>A classification row: pre-train (or reuse) on the training texts, featurise, fit the probe.</summary>
    public static BenchRow Run(ClassificationTask task, BertRobertaSettings settings, string modelsRoot, ProbeOptions probe, int seed, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(settings);
        return FrozenEncoderRows.Run(task, Id, Name(settings), Step, settings.Dim, texts => Load(task.Id, task.Split, texts, settings, modelsRoot, cancellation),
            What, probe, seed, cancellation);
    }

    /// <summary>A retrieval row: pre-train (or reuse) on the training pairs' queries and documents, then rank held-out documents by cosine.</summary>
    public static BenchRow Run(RetrievalTask task, BertRobertaSettings settings, string modelsRoot, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(settings);
        return FrozenEncoderRows.Run(task, Id, Name(settings), Step, settings.Dim, texts => Load(task.Id, task.Split, texts, settings, modelsRoot, cancellation), What);
    }

    private const string What = "encoder, pre-trained";

    private static FrozenEncoder Load(string taskId, TaskSplit split, IReadOnlyList<string> texts, BertRobertaSettings settings, string modelsRoot, CancellationToken cancellation)
    {
        var (model, vocabulary, seconds, reused) = Pretrained(taskId, split, texts, settings, modelsRoot, cancellation);
        return new FrozenEncoder(model, t => Features(model, vocabulary, t, settings.Length, cancellation), seconds, reused);
    }

    private static string Name(BertRobertaSettings s) =>
        string.Create(CultureInfo.InvariantCulture, $"BERT from scratch ({s.Layers} × {s.Dim}, {s.Length} tokens, mean of last hidden states)");
}
