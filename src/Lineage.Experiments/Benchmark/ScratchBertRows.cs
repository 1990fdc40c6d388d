// The benchmark's scratch-trained encoder rows: the tour's BERT and RoBERTa (transformers.bert's recipes and size:
// 2 layers × 96 wide, 4 heads, 48 tokens, 19,200 sequences; BERT with WordPiece 4,000, sentence pairs, masked-LM +
// next-sentence prediction and static masks; RoBERTa with byte-level BPE, packed windows, masked-LM only, dynamic masks,
// twice the batch and rate) pre-trained on the TASK's training texts only — as the word-vector rows are — then frozen; a
// text's vector is the masked mean of the last hidden states of its first 48 tokens, put through the same probe or cosine
// ranking as every other row.
// Why the task's texts and not the chapter's cached models: the chapter pre-trains on its own spam split's training
// e-mails and on Brown, so its models have read some of this benchmark's held-out e-mails and every Brown passage. Each
// pre-trained encoder and its vocabulary are cached per task, split and settings (models/lineage.tasks-{bert,roberta}-
// {task}/…), so a second run only featurises; the row then reports the cached pre-training seconds in its note.
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

/// <summary>The scratch BERT and RoBERTa as benchmark rows.</summary>
public static class ScratchBertRows
{
    /// <summary>The BERT row's id.</summary>
    public const string Id = "bert-scratch";

    /// <summary>The RoBERTa row's id.</summary>
    public const string Roberta = "roberta-scratch";

    /// <summary>Both ids, in the lineage's order.</summary>
    public static IReadOnlyList<string> Ids { get; } = [Id, Roberta];

    /// <summary>The rows' lineage step.</summary>
    public const string Step = "transformer encoder, trained here";

    /// <summary>The encoder and its vocabulary, pre-trained on <paramref name="texts"/> by row <paramref name="id"/>'s recipe or read from the cache; and how long pre-training took, and whether it was reused.</summary>
    /// <exception cref="ArgumentException">Too little text for the recipe's sequences, or not an encoder row.</exception>
    public static (Bert Model, EncoderVocabulary Vocabulary, double PretrainSeconds, bool Reused) Pretrained(string id, string taskId, TaskSplit split, IReadOnlyList<string> texts,
        BertRobertaSettings settings, string modelsRoot, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(settings);
        if (!Ids.Contains(id)) throw new ArgumentException($"Not an encoder row: {id}.", nameof(id));
        bool roberta = id == Roberta;
        var s = settings;
        var entry = new ModelCache(modelsRoot).Entry($"lineage.tasks-{(roberta ? "roberta" : "bert")}-{taskId}", new { s, split.Seed, Train = FrozenEncoderRows.SplitHash(split) }, []);
        var docs = texts.Select(t => TextToTextTasks.FirstWords(t, s.DocumentTokens)).ToList();
        // Every tenth training text scores the held-out masked-LM loss during pre-training; the rest is pre-trained on.
        var pretrain = docs.Where((_, i) => i % 10 != 0).ToList();
        var heldOut = docs.Where((_, i) => i % 10 == 0).ToList();
        string[] files = roberta ? ["vocab.json", "merges.txt"] : [WordPiece.FileName];
        string? staged = null;
        EncoderVocabulary vocabulary;
        if (entry.CanReuse)
        {
            vocabulary = roberta ? EncoderVocabulary.Roberta(ByteLevelBpe.Load(entry.Directory)) : EncoderVocabulary.Bert(WordPiece.Load(entry.Path(WordPiece.FileName)));
        }
        else
        {
            staged = Path.Combine(Path.GetTempPath(), $"lineage-bench-vocabulary-{Guid.NewGuid():N}");
            if (roberta)
            {
                var bpe = ByteLevelBpe.Train(pretrain, s.Vocabulary - 3, cancellation: cancellation);
                bpe.Save(staged);
                vocabulary = EncoderVocabulary.Roberta(bpe);
            }
            else
            {
                vocabulary = EncoderVocabulary.Bert(WordPiece.Train(pretrain, staged, s.Vocabulary, cancellation: cancellation));
            }
        }

        try
        {
            // The chapter's two recipes: RoBERTa with twice BERT's batch and rate, on the same number of sequences.
            var recipe = roberta
                ? EncoderRecipe.Roberta(vocabulary, 2 * s.BertBatch, s.RobertaSteps, 2 * s.BertLearningRate)
                : EncoderRecipe.Bert(vocabulary, s.BertBatch, s.BertSteps, s.BertLearningRate);
            Seeding.Seed(s.Seed);
            var model = new Bert(recipe.Config(s.Length, s.Layers, s.Heads, s.Dim));
            var (history, origin) = entry.LoadOrTrain(model, () =>
            {
                var data = EncoderTraining.Prepare(recipe, pretrain, heldOut, s.Length, s.DocumentTokens, s.Seed);
                var options = new StepTrainingOptions(recipe.Steps, recipe.LearningRate, GradClip: 1.0, EvaluateEvery: Math.Max(1, recipe.Steps / 4));
                return EncoderTraining.Pretrain(model, data, options, null, null, cancellation);
            }, dir =>
            {
                foreach (var f in files) File.Copy(Path.Combine(staged!, f), Path.Combine(dir, f));
            });
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
        return FrozenEncoderRows.Features(t => Pool(model, vocabulary, t, length), model.Config.Dim, texts, 64, cancellation);
    }

    /// <summary>The masked mean (B, C) of the last hidden states of a batch of texts, each read as [CLS], its first tokens, [SEP]; differentiable (fine-tuning trains through it).</summary>
    public static Tensor Pool(Bert model, EncoderVocabulary vocabulary, IReadOnlyList<string> texts, int length)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(texts);
        using var scope = NewDisposeScope();
        var (ids, padding) = EncoderPretraining.Pad([.. texts.Select(t => EncoderTraining.ClassifierInput(vocabulary, t, length))], vocabulary.Pad);
        return FrozenEncoderRows.MaskedMean(model.Encode(ids, padding, null), padding).MoveToOuterDisposeScope();
    }

    /// <summary>A classification row: pre-train (or reuse) on the training texts, featurise, fit the probe.</summary>
    public static BenchRow Run(ClassificationTask task, string id, BertRobertaSettings settings, string modelsRoot, ProbeOptions probe, int seed, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(settings);
        return FrozenEncoderRows.Run(task, id, Name(id, settings), Step, settings.Dim, texts => Load(id, task.Id, task.Split, texts, settings, modelsRoot, cancellation),
            What, probe, seed, cancellation);
    }

    /// <summary>The fine-tuned classification row (<paramref name="id"/> + <see cref="FineTuneOptions.Suffix"/>): the pre-trained (or cached) encoder and a linear head on its mean state, trained together.</summary>
    public static BenchRow FineTuned(ClassificationTask task, string id, BertRobertaSettings settings, string modelsRoot, FineTuneOptions options, int seed, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(settings);
        return FrozenEncoderRows.RunFineTuned(task, id + FineTuneOptions.Suffix, Name(id, settings) + ", fine-tuned", "transformer encoder, pre-trained and fine-tuned here", settings.Dim,
            texts => Load(id, task.Id, task.Split, texts, settings, modelsRoot, cancellation), What, options, seed, cancellation);
    }

    /// <summary>A retrieval row: pre-train (or reuse) on the training pairs' queries and documents, then rank held-out documents by cosine.</summary>
    public static BenchRow Run(RetrievalTask task, string id, BertRobertaSettings settings, string modelsRoot, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(settings);
        return FrozenEncoderRows.Run(task, id, Name(id, settings), Step, settings.Dim, texts => Load(id, task.Id, task.Split, texts, settings, modelsRoot, cancellation), What, cancellation);
    }

    private const string What = "encoder, pre-trained";

    private static FrozenEncoder Load(string id, string taskId, TaskSplit split, IReadOnlyList<string> texts, BertRobertaSettings settings, string modelsRoot, CancellationToken cancellation)
    {
        var (model, vocabulary, seconds, reused) = Pretrained(id, taskId, split, texts, settings, modelsRoot, cancellation);
        return new FrozenEncoder(model, settings.Dim, t => Pool(model, vocabulary, t, settings.Length), seconds, reused);
    }

    private static string Name(string id, BertRobertaSettings s) =>
        string.Create(CultureInfo.InvariantCulture, $"{(id == Roberta ? "RoBERTa" : "BERT")} from scratch ({s.Layers} × {s.Dim}, {s.Length} tokens, mean of last hidden states)");
}
