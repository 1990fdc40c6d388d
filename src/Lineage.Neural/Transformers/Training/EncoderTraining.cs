// BERT and RoBERTa pre-training and fine-tuning as reusable functions: the tour's experiment and `lineage bert|roberta
// pretrain|finetune` both call these, so the two run the same recipe. The data side lives in EncoderPretraining.
using Lineage.Neural.Core;
using Lineage.Data.Labelled;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Transformers;
using Lineage.Text.Determinism;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.Transformers.Training;

/// <summary>One of the two pre-training recipes for the same encoder.</summary>
/// <param name="Name">"BERT" or "RoBERTa".</param>
/// <param name="Vocabulary">WordPiece (BERT) or byte-level BPE (RoBERTa).</param>
/// <param name="Nsp">Sentence pairs with next-sentence prediction (BERT); otherwise packed full-length windows (RoBERTa).</param>
/// <param name="Dynamic">Masks drawn anew every step (RoBERTa) rather than once per example (BERT).</param>
/// <param name="Batch">Sequences per step.</param>
/// <param name="Steps">Pre-training steps.</param>
/// <param name="LearningRate">Adam's step size.</param>
/// <param name="TypeVocab">Segment types (2 for BERT's pairs, 1 for RoBERTa).</param>
public sealed record EncoderRecipe(string Name, EncoderVocabulary Vocabulary, bool Nsp, bool Dynamic, int Batch, int Steps, double LearningRate, int TypeVocab)
{
    /// <summary>BERT's recipe: sentence pairs, next-sentence prediction, static masks.</summary>
    public static EncoderRecipe Bert(EncoderVocabulary vocabulary, int batch, int steps, double learningRate) =>
        new("BERT", vocabulary, Nsp: true, Dynamic: false, batch, steps, learningRate, TypeVocab: 2);

    /// <summary>RoBERTa's recipe: packed windows, no next-sentence prediction, dynamic masks.</summary>
    public static EncoderRecipe Roberta(EncoderVocabulary vocabulary, int batch, int steps, double learningRate) =>
        new("RoBERTa", vocabulary, Nsp: false, Dynamic: true, batch, steps, learningRate, TypeVocab: 1);

    /// <summary>The encoder configuration this recipe trains.</summary>
    public BertConfig Config(int length, int layers, int heads, int dim) =>
        new(Vocabulary.Size, length, layers, heads, dim, Dropout: 0, TypeVocab: TypeVocab);
}

/// <summary>A recipe's prepared pre-training data: its training examples (BERT) or packed stream (RoBERTa), and fixed held-out examples.</summary>
public sealed class EncoderPretrainingData
{
    internal EncoderPretrainingData(EncoderRecipe recipe, int length, int seed, List<PairExample>? examples, long[]? stream,
        List<(long[], long[], long[]?)> heldOut, bool[]? heldNsp)
    {
        Recipe = recipe;
        Length = length;
        Seed = seed;
        Examples = examples;
        Stream = stream;
        HeldOut = heldOut;
        HeldNsp = heldNsp;
    }

    /// <summary>The recipe.</summary>
    public EncoderRecipe Recipe { get; }

    /// <summary>Tokens per sequence.</summary>
    public int Length { get; }

    /// <summary>Seed of batches and masks.</summary>
    public int Seed { get; }

    /// <summary>Training sequences: BERT's pairs, or RoBERTa's packed tokens.</summary>
    public int TrainingSize => Examples?.Count ?? Stream!.Length;

    /// <summary>Held-out examples scored.</summary>
    public int HeldOutCount => HeldOut.Count;

    internal List<PairExample>? Examples { get; }

    internal long[]? Stream { get; }

    internal List<(long[] Input, long[] Labels, long[]? Segments)> HeldOut { get; }

    internal bool[]? HeldNsp { get; }
}

/// <summary>A labelled text set split into training and held-out texts, labels as indices into <see cref="Labels"/>.</summary>
/// <param name="Labels">Label names, by index.</param>
/// <param name="TrainTexts">Training texts.</param>
/// <param name="TrainLabels">Their labels.</param>
/// <param name="TestTexts">Held-out texts.</param>
/// <param name="TestLabels">Their labels.</param>
public sealed record LabelledTexts(IReadOnlyList<string> Labels, IReadOnlyList<string> TrainTexts, IReadOnlyList<int> TrainLabels,
    IReadOnlyList<string> TestTexts, IReadOnlyList<int> TestLabels)
{
    /// <summary>SpamAssassin bodies with the encodings chapter's split (labels ham = 0, spam = 1), as the BERT experiment fine-tunes on.</summary>
    public static LabelledTexts Spam(LabelledTextSet spam)
    {
        ArgumentNullException.ThrowIfNull(spam);
        var (train, test) = spam.Split(SpamAssassinReader.TestFraction);
        return new(["ham", "spam"], [.. train.Documents.Select(d => d.Text)], [.. train.Documents.Select(d => d.Label == "spam" ? 1 : 0)],
            [.. test.Documents.Select(d => d.Text)], [.. test.Documents.Select(d => d.Label == "spam" ? 1 : 0)]);
    }

    /// <summary>
    /// A tab-separated file, one <c>label&lt;TAB&gt;text</c> per line; each line is held out or not by a hash of its text
    /// (<see cref="LabelledTextSet.SplitKey"/> below <paramref name="testFraction"/>), so the split does not depend on the line order.
    /// </summary>
    /// <exception cref="ArgumentException">No labelled lines, a line without a tab, fewer than two labels, or an empty side of the split.</exception>
    public static LabelledTexts FromTsv(string path, double testFraction = 0.2)
    {
        var rows = new List<(string Label, string Text)>();
        int number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (line.Trim().Length == 0) continue;
            int tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab <= 0) throw new ArgumentException($"{path}:{number}: expected 'label<TAB>text'.");
            rows.Add((line[..tab].Trim(), line[(tab + 1)..]));
        }

        if (rows.Count == 0) throw new ArgumentException($"{path}: the file has no labelled lines ('label<TAB>text').");
        var labels = rows.Select(r => r.Label).Distinct().Order(StringComparer.Ordinal).ToList();
        if (labels.Count < 2) throw new ArgumentException($"{path}: every line has the label '{labels[0]}'; a classifier needs at least two.");
        var test = rows.Where(r => LabelledTextSet.SplitKey(r.Text) < testFraction).ToList();
        var train = rows.Where(r => LabelledTextSet.SplitKey(r.Text) >= testFraction).ToList();
        if (train.Count == 0 || test.Count == 0) throw new ArgumentException($"{path}: {train.Count} training and {test.Count} held-out lines; both must be non-empty (add more lines).");
        return new(labels, [.. train.Select(r => r.Text)], [.. train.Select(r => labels.IndexOf(r.Label))],
            [.. test.Select(r => r.Text)], [.. test.Select(r => labels.IndexOf(r.Label))]);
    }
}

/// <summary>An encoder with a linear classification head on its pooled first token (BertForSequenceClassification's shape).</summary>
public sealed class EncoderClassifier : nn.Module
{
    private readonly Bert encoder;
    private readonly Linear classifier;

    /// <summary>Wraps <paramref name="encoder"/> with a fresh head of <paramref name="classes"/> outputs. Disposing the classifier
    /// disposes the encoder too; a caller that keeps using the encoder disposes only <see cref="Head"/>.</summary>
    public EncoderClassifier(Bert encoder, int classes) : base(nameof(EncoderClassifier))
    {
        this.encoder = encoder ?? throw new ArgumentNullException(nameof(encoder));
        classifier = nn.Linear(encoder.Config.Dim, classes);
        RegisterComponents();
    }

    /// <summary>The encoder.</summary>
    public Bert Encoder => encoder;

    /// <summary>The head.</summary>
    public Linear Head => classifier;

    /// <summary>Class logits (B, classes) of padded ids (B, T) with their padding mask (true on real tokens).</summary>
    public Tensor Logits(Tensor ids, Tensor padding) => classifier.forward(encoder.Pooled(encoder.Encode(ids, padding, null)));
}

/// <summary>Pre-training and fine-tuning of <see cref="Bert"/> under the BERT and RoBERTa recipes (one code path for the tour and the CLI).</summary>
public static class EncoderTraining
{
    /// <summary>Held-out pre-training examples scored (fixed masks).</summary>
    public const int HeldOutExamples = 256;

    /// <summary>
    /// Tokenises the documents with the recipe's vocabulary (the first <paramref name="documentTokens"/> tokens of each) and
    /// builds BERT's fixed pairs or RoBERTa's packed stream, and 256 held-out examples with fixed masks.
    /// </summary>
    /// <exception cref="ArgumentException">Too little text for one training or held-out example (the message says which).</exception>
    public static EncoderPretrainingData Prepare(EncoderRecipe recipe, IReadOnlyList<string> trainText, IReadOnlyList<string> heldOutText,
        int length, int documentTokens, int seed)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(trainText);
        ArgumentNullException.ThrowIfNull(heldOutText);
        var v = recipe.Vocabulary;
        var trainDocs = trainText.Select(t => Tokens(v, t, documentTokens)).Where(d => d.Length > 1).ToList();
        var heldDocs = heldOutText.Select(t => Tokens(v, t, documentTokens)).Where(d => d.Length > 1).ToList();
        if (recipe.Nsp)
        {
            var examples = EncoderPretraining.BertPairs(trainDocs, v, length, seed);
            var held = EncoderPretraining.BertPairs(heldDocs, v, length, seed + 1).Take(HeldOutExamples).ToList();
            if (examples.Count == 0) throw new ArgumentException($"The training text gives no sentence pairs: BERT needs documents of more than {(length - 3) / 2} tokens.");
            if (held.Count == 0) throw new ArgumentException($"The held-out text gives no sentence pairs: BERT needs documents of more than {(length - 3) / 2} tokens.");
            return new(recipe, length, seed, examples, null, [.. held.Select(e => (e.Input, e.Labels, (long[]?)e.Segments))], [.. held.Select(e => e.IsNext)]);
        }

        var stream = EncoderPretraining.Pack(trainDocs, v);
        var heldStream = EncoderPretraining.Pack(heldDocs, v);
        if (stream.Length <= length) throw new ArgumentException($"The training text is {stream.Length} tokens; a window of {length} needs more.");
        if (heldStream.Length <= length) throw new ArgumentException($"The held-out text is {heldStream.Length} tokens; a window of {length} needs more.");
        var rng = new Random(seed + 1);
        var masker = new MlmMasking(v.Size, v.Mask, v.Specials, MaskingSchedule.Static, seed + 1);
        var heldOut = Enumerable.Range(0, HeldOutExamples).Select(i => masker.Mask(EncoderPretraining.Window(heldStream, v, length, rng), i))
            .Select(m => (m.Input, m.Labels, (long[]?)null)).ToList();
        return new(recipe, length, seed, null, stream, heldOut, null);
    }

    /// <summary>
    /// Masked-LM pre-training (with next-sentence prediction for BERT) by <see cref="StepTrainer"/>: each step's batch and
    /// masks depend only on the seed and the step, so a run resumed from a checkpoint reproduces the uninterrupted one.
    /// The evaluation is the held-out masked-LM loss.
    /// </summary>
    public static StepHistory Pretrain(Bert model, EncoderPretrainingData data, StepTrainingOptions options, IProgress<StepReport>? progress,
        string? configuration, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        return StepTrainer.Train(model, step => data.Recipe.Nsp ? BertStep(model, data, step) : RobertaStep(model, data, step),
            options, () => Evaluate(model, data).MlmLoss, progress, configuration, cancellation);
    }

    /// <summary>Held-out masked-LM loss (nats per masked token) and, for BERT, next-sentence accuracy (NaN for RoBERTa).</summary>
    public static (double MlmLoss, double NspAccuracy) Evaluate(Bert model, EncoderPretrainingData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return EncoderPretraining.Evaluate(model, data.HeldOut, data.Recipe.Vocabulary.Pad, data.HeldNsp);
    }

    /// <summary>[CLS] the first words of <paramref name="text"/> [SEP], at most <paramref name="length"/> tokens: a classifier's input.</summary>
    public static long[] ClassifierInput(EncoderVocabulary vocabulary, string text, int length)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        return [vocabulary.Cls, .. vocabulary.Encode(TextToTextTasks.FirstWords(text, length)).Take(length - 2).Select(i => (long)i), vocabulary.Sep];
    }

    /// <summary>
    /// Fine-tunes <paramref name="classifier"/> (encoder and head together) by <see cref="StepTrainer"/> on random batches
    /// drawn from the step number, so <c>options.Resume</c> continues exactly; returns the training history.
    /// </summary>
    public static StepHistory FineTune(EncoderClassifier classifier, IReadOnlyList<long[]> trainIds, IReadOnlyList<int> trainY, long pad, int batch, int seed,
        StepTrainingOptions options, Func<double>? evaluate, IProgress<StepReport>? progress, string? configuration, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(trainIds);
        ArgumentNullException.ThrowIfNull(trainY);
        if (trainIds.Count == 0) throw new ArgumentException("No training texts to fine-tune on.", nameof(trainIds));
        return StepTrainer.Train(classifier, step =>
        {
            var rng = new Random(StableSeed.Of(seed, step));
            var picked = Enumerable.Range(0, batch).Select(_ => rng.Next(trainIds.Count)).ToArray();
            var (ids, padding) = EncoderPretraining.Pad([.. picked.Select(i => trainIds[i])], pad);
            return nn.functional.cross_entropy(classifier.Logits(ids, padding), tensor(picked.Select(i => (long)trainY[i]).ToArray()));
        }, options, evaluate, progress, configuration, cancellation);
    }

    /// <summary>Held-out accuracy of <paramref name="classifier"/>, in batches of 128.</summary>
    public static double Accuracy(EncoderClassifier classifier, IReadOnlyList<long[]> testIds, IReadOnlyList<int> testY, long pad)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(testIds);
        ArgumentNullException.ThrowIfNull(testY);
        using var evalMode = EvalMode.Of(classifier);
        using var noGrad = no_grad();
        int right = 0;
        for (int start = 0; start < testIds.Count; start += 128)
        {
            using var scope = NewDisposeScope();
            var (ids, padding) = EncoderPretraining.Pad([.. testIds.Skip(start).Take(128)], pad);
            var predicted = classifier.Logits(ids, padding).argmax(-1).data<long>().ToArray();
            right += predicted.Where((p, i) => p == testY[start + i]).Count();
        }

        return (double)right / Math.Max(1, testIds.Count);
    }

    private static Tensor BertStep(Bert model, EncoderPretrainingData data, long step)
    {
        var rng = new Random(StableSeed.Of(data.Seed, step));
        var examples = data.Examples!;
        var batch = Enumerable.Range(0, data.Recipe.Batch).Select(_ => examples[rng.Next(examples.Count)]).ToList();
        return EncoderPretraining.Loss(model, [.. batch.Select(e => (e.Input, e.Labels, (long[]?)e.Segments))], data.Recipe.Vocabulary.Pad, [.. batch.Select(e => e.IsNext)]);
    }

    private static Tensor RobertaStep(Bert model, EncoderPretrainingData data, long step)
    {
        var rng = new Random(StableSeed.Of(data.Seed, step));
        var v = data.Recipe.Vocabulary;
        var masker = new MlmMasking(v.Size, v.Mask, v.Specials, MaskingSchedule.Dynamic, StableSeed.Of(data.Seed + 7, step));   // fresh masks every step
        var batch = Enumerable.Range(0, data.Recipe.Batch).Select(i => masker.Mask(EncoderPretraining.Window(data.Stream!, v, data.Length, rng), i)).ToList();
        return EncoderPretraining.Loss(model, [.. batch.Select(m => (m.Input, m.Labels, (long[]?)null))], v.Pad, null);
    }

    private static long[] Tokens(EncoderVocabulary v, string text, int max) => [.. v.Encode(text).Take(max).Select(i => (long)i)];
}
