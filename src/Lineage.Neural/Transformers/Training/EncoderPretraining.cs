// The data side of BERT and RoBERTa pre-training and fine-tuning: the two vocabularies, BERT's sentence pairs for
// next-sentence prediction with masks fixed once, RoBERTa's packed full-length windows masked anew every step, the
// masked-LM loss computed at the chosen positions only, held-out scoring, and fine-tuning a classification head.
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Transformers;
using Lineage.Text.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Transformers.Training;

/// <summary>An encoder's vocabulary: how text becomes ids, and its special tokens.</summary>
/// <param name="Name">"WordPiece" or "byte-level BPE".</param>
/// <param name="Size">Ids in the vocabulary.</param>
/// <param name="Encode">Text to ids, without specials.</param>
/// <param name="Cls">Start of every sequence ([CLS] / &lt;s&gt;).</param>
/// <param name="Sep">End of a segment ([SEP] / &lt;/s&gt;).</param>
/// <param name="Pad">Padding.</param>
/// <param name="Mask">The mask token.</param>
public sealed record EncoderVocabulary(string Name, int Size, Func<string, int[]> Encode, long Cls, long Sep, long Pad, long Mask)
{
    /// <summary>Tokens never masked.</summary>
    public long[] Specials => [Cls, Sep, Pad];

    /// <summary>BERT's: a WordPiece vocabulary with [PAD] [UNK] [CLS] [SEP] [MASK] first.</summary>
    public static EncoderVocabulary Bert(WordPiece wp) =>
        new("WordPiece", (wp ?? throw new ArgumentNullException(nameof(wp))).VocabSize, wp.Encode, WordPiece.ClsId, WordPiece.SepId, WordPiece.PadId, WordPiece.MaskId);

    /// <summary>RoBERTa's: byte-level BPE; &lt;|endoftext|&gt; serves as &lt;/s&gt;, and &lt;s&gt;, &lt;pad&gt;, &lt;mask&gt; follow the BPE ids.</summary>
    public static EncoderVocabulary Roberta(ByteLevelBpe bpe)
    {
        ArgumentNullException.ThrowIfNull(bpe);
        int v = bpe.VocabSize;
        return new("byte-level BPE", v + 3, bpe.Encode, Cls: v, Sep: bpe.EndOfText, Pad: v + 1, Mask: v + 2);
    }
}

/// <summary>One fixed BERT example: [CLS] A [SEP] B [SEP] with its segments, masks and next-sentence label.</summary>
public sealed record PairExample(long[] Input, long[] Labels, long[] Segments, bool IsNext);

/// <summary>Pre-training and fine-tuning steps for <see cref="Bert"/> under the two recipes.</summary>
public static class EncoderPretraining
{
    /// <summary>
    /// BERT's examples, built once: each document cut into segments of <c>(length − 3) / 2</c> tokens; segment A is followed
    /// by its true successor half of the time and by a segment of another document otherwise; masks drawn once per example
    /// (static masking).
    /// </summary>
    public static List<PairExample> BertPairs(IReadOnlyList<long[]> documents, EncoderVocabulary vocab, int length, int seed)
    {
        int half = (length - 3) / 2;
        var segments = documents.Select(d => d.Chunk(half).Where(c => c.Length > 0).ToArray()).ToArray();
        var all = segments.SelectMany((s, d) => s.Select(c => (Doc: d, Tokens: c))).ToArray();
        var rng = new Random(seed);
        var masker = new MlmMasking(vocab.Size, vocab.Mask, vocab.Specials, MaskingSchedule.Static, seed);
        var examples = new List<PairExample>();
        for (int d = 0; d < segments.Length; d++)
        {
            for (int i = 0; i + 1 < segments[d].Length; i++)
            {
                bool isNext = rng.NextDouble() < 0.5;
                var b = segments[d][i + 1];
                if (!isNext)
                {
                    var other = all[rng.Next(all.Length)];
                    if (other.Doc == d) isNext = true; else b = other.Tokens;
                }

                var ids = new List<long> { vocab.Cls };
                ids.AddRange(segments[d][i]);
                ids.Add(vocab.Sep);
                int aLength = ids.Count;
                ids.AddRange(b);
                ids.Add(vocab.Sep);
                var (input, labels) = masker.Mask(ids, examples.Count);
                examples.Add(new PairExample(input, labels, [.. Enumerable.Range(0, ids.Count).Select(p => p < aLength ? 0L : 1L)], isNext));
            }
        }

        return examples;
    }

    /// <summary>RoBERTa's FULL-SENTENCES input: a window of <paramref name="length"/> − 2 consecutive tokens of the packed stream (documents joined by &lt;/s&gt;) between &lt;s&gt; and &lt;/s&gt;.</summary>
    public static long[] Window(long[] stream, EncoderVocabulary vocab, int length, Random rng)
    {
        int start = rng.Next(stream.Length - (length - 2));
        return [vocab.Cls, .. stream.AsSpan(start, length - 2).ToArray(), vocab.Sep];
    }

    /// <summary>Documents joined by &lt;/s&gt;, as RoBERTa packs them.</summary>
    public static long[] Pack(IReadOnlyList<long[]> documents, EncoderVocabulary vocab) =>
        [.. documents.SelectMany(d => d.Append(vocab.Sep))];

    /// <summary>
    /// The masked-LM loss of a batch (and the next-sentence loss when <paramref name="nsp"/> is given): the output layer
    /// is applied only at the chosen positions, which is where the loss is.
    /// </summary>
    public static Tensor Loss(Bert model, IReadOnlyList<(long[] Input, long[] Labels, long[]? Segments)> batch, long pad, bool[]? nsp)
    {
        var (ids, padding, segments, labels) = Stack(batch, pad);
        var hidden = model.Encode(ids, padding, segments);
        var (logits, targets) = MaskedLogits(model, hidden, labels);
        var loss = nn.functional.cross_entropy(logits, targets);
        if (nsp is not null) loss = loss + nn.functional.cross_entropy(model.NspLogits(hidden), tensor(nsp.Select(b => b ? 1L : 0L).ToArray()));
        return loss;
    }

    /// <summary>Held-out masked-LM loss (nats per masked token) and, for BERT, next-sentence accuracy, on fixed examples.</summary>
    public static (double MlmLoss, double NspAccuracy) Evaluate(Bert model, IReadOnlyList<(long[] Input, long[] Labels, long[]? Segments)> examples, long pad, bool[]? nsp)
    {
        using var evalMode = EvalMode.Of(model);
        using var noGrad = no_grad();
        double loss = 0;
        long tokens = 0, right = 0;
        for (int start = 0; start < examples.Count; start += 64)
        {
            using var scope = NewDisposeScope();
            var chunk = examples.Skip(start).Take(64).ToList();
            var (ids, padding, segments, labels) = Stack(chunk, pad);
            var hidden = model.Encode(ids, padding, segments);
            var (logits, targets) = MaskedLogits(model, hidden, labels);
            loss += nn.functional.cross_entropy(logits, targets, reduction: nn.Reduction.Sum).item<float>();
            tokens += targets.shape[0];
            if (nsp is not null)
            {
                var predicted = model.NspLogits(hidden).argmax(-1).data<long>().ToArray();
                right += predicted.Where((p, i) => (p == 1) == nsp[start + i]).Count();
            }
        }

        return (loss / Math.Max(1, tokens), nsp is null ? double.NaN : (double)right / examples.Count);
    }

    /// <summary>
    /// Fine-tunes <paramref name="model"/> and a fresh linear head on the pooled [CLS] state (<see cref="EncoderTraining.FineTune"/>,
    /// no checkpoints); returns held-out accuracy.
    /// </summary>
    public static double FineTune(Bert model, IReadOnlyList<long[]> trainIds, IReadOnlyList<bool> trainY, IReadOnlyList<long[]> testIds, IReadOnlyList<bool> testY,
        long pad, int steps, int batch, double learningRate, int seed, CancellationToken cancellation)
    {
        var classifier = new EncoderClassifier(model, 2);
        using var head = classifier.Head;   // the encoder stays the caller's
        EncoderTraining.FineTune(classifier, trainIds, [.. trainY.Select(y => y ? 1 : 0)], pad, batch, seed,
            new StepTrainingOptions(steps, learningRate, GradClip: 1.0), null, null, null, cancellation);
        return EncoderTraining.Accuracy(classifier, testIds, [.. testY.Select(y => y ? 1 : 0)], pad);
    }

    /// <summary>Pads token sequences to the longest: ids (B, T) and the padding mask (B, T), true on real tokens.</summary>
    public static (Tensor Ids, Tensor Padding) Pad(IReadOnlyList<long[]> sequences, long pad)
    {
        var (ids, padding, _, _) = Stack([.. sequences.Select(i => (i, Array.Empty<long>(), (long[]?)null))], pad);
        return (ids, padding);
    }

    // The masked-LM head applied only at the chosen positions (labels ≥ 0), which is where the loss is: (logits (N, V), targets (N)).
    private static (Tensor Logits, Tensor Targets) MaskedLogits(Bert model, Tensor hidden, Tensor labels)
    {
        var flat = labels.reshape(-1);
        var chosen = nonzero(flat.ge(0)).squeeze(1);
        return (model.MlmLogits(hidden.reshape(-1, hidden.shape[^1]).index_select(0, chosen)), flat.index_select(0, chosen));
    }

    // Pads a batch to its longest sequence: ids (B, T), padding mask (B, T) true for real tokens, segments (or null), labels (−1 where not chosen or padded).
    private static (Tensor Ids, Tensor Padding, Tensor? Segments, Tensor Labels) Stack(IReadOnlyList<(long[] Input, long[] Labels, long[]? Segments)> batch, long pad)
    {
        int b = batch.Count, t = batch.Max(e => e.Input.Length);
        var ids = new long[b * t];
        var real = new bool[b * t];
        var labels = new long[b * t];
        var segments = batch[0].Segments is null ? null : new long[b * t];
        Array.Fill(ids, pad);
        Array.Fill(labels, -1L);
        for (int r = 0; r < b; r++)
        {
            var e = batch[r];
            e.Input.CopyTo(ids, r * t);
            for (int i = 0; i < e.Input.Length; i++) real[r * t + i] = true;
            if (e.Labels.Length > 0) e.Labels.CopyTo(labels, r * t);
            e.Segments?.CopyTo(segments!, r * t);
        }

        return (tensor(ids).reshape(b, t), tensor(real).reshape(b, t), segments is null ? null : tensor(segments).reshape(b, t), tensor(labels).reshape(b, t));
    }
}
