// T5's pre-training (Raffel et al. 2020, §3.1.4): windows of a token stream with about 15 % of their tokens dropped in
// spans of mean length 3 (SpanCorruption), each span replaced by a sentinel in the input; the target lists every sentinel
// followed by the span it stands for. `lineage t5 pretrain` trains with it; the multitask experiment trains on the tasks directly.
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Transformers;
using Lineage.Text.Determinism;
using Lineage.Text.Tokenization;
using static TorchSharp.torch;

namespace Lineage.Neural.Transformers.Training;

/// <summary>Span-corruption pre-training of <see cref="T5"/> on a stream of SentencePiece ids.</summary>
public static class T5Pretraining
{
    /// <summary>Share of a window's tokens dropped.</summary>
    public const double NoiseDensity = 0.15;

    /// <summary>Mean length of a dropped span.</summary>
    public const double MeanSpan = 3.0;

    /// <summary>Fixed held-out windows scored.</summary>
    public const int HeldOutWindows = 64;

    /// <summary>Sentinels a window of <paramref name="length"/> tokens needs: one per span plus the final one.</summary>
    public static int SentinelsFor(int length)
    {
        int noise = Math.Max(1, (int)Math.Round(length * NoiseDensity));
        return Math.Max(1, (int)Math.Round(noise / MeanSpan)) + 1;
    }

    /// <summary>The text's ids as one stream: every non-blank line encoded with its &lt;/s&gt;.</summary>
    public static int[] Stream(SentencePiece spm, IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(spm);
        ArgumentNullException.ThrowIfNull(lines);
        return [.. lines.Where(l => l.Trim().Length > 0).SelectMany(l => spm.Encode(l))];
    }

    /// <summary>
    /// One example: <paramref name="length"/> consecutive tokens of <paramref name="stream"/> from a random start, span-corrupted;
    /// input and target each end with &lt;/s&gt;.
    /// </summary>
    /// <exception cref="ArgumentException">The stream is not longer than one window, or the vocabulary has too few sentinels.</exception>
    public static (long[] Input, long[] Target) Example(int[] stream, int length, IReadOnlyList<long> sentinels, Random rng)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(rng);
        if (stream.Length <= length) throw new ArgumentException($"The text is {stream.Length} tokens; a window of {length} needs more.", nameof(stream));
        int start = rng.Next(stream.Length - length + 1);
        var window = stream.AsSpan(start, length).ToArray().Select(i => (long)i).ToArray();
        var (input, target) = SpanCorruption.Corrupt(window, sentinels, rng, NoiseDensity, MeanSpan);
        return ([.. input, SentencePiece.EosId], [.. target, SentencePiece.EosId]);
    }

    /// <summary>The sentinel ids of <paramref name="spm"/> (&lt;extra_id_0&gt;, …).</summary>
    public static long[] Sentinels(SentencePiece spm)
    {
        ArgumentNullException.ThrowIfNull(spm);
        return [.. Enumerable.Range(0, spm.Sentinels).Select(i => (long)spm.SentinelId(i))];
    }

    /// <summary>
    /// Trains <paramref name="t5"/> to fill in corrupted spans with <see cref="StepTrainer"/>. Each step's windows and spans
    /// depend only on the seed and the step (so a resumed run continues exactly); the evaluation is the mean cross-entropy
    /// per target token on 64 fixed held-out windows.
    /// </summary>
    /// <exception cref="ArgumentException">Either stream is not longer than a window, or the vocabulary has too few sentinels for it.</exception>
    public static StepHistory Train(T5 t5, SentencePiece spm, int[] train, int[] heldOut, int length, int batch, int seed, StepTrainingOptions options,
        IProgress<StepReport>? progress, string? configuration, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(t5);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(heldOut);
        var sentinels = Sentinels(spm);
        if (sentinels.Length < SentinelsFor(length))
            throw new ArgumentException($"A window of {length} tokens needs {SentinelsFor(length)} sentinels; the vocabulary has {sentinels.Length}.");
        if (train.Length <= length) throw new ArgumentException($"The training text is {train.Length} tokens; a window of {length} needs more.");
        var held = HeldOut(heldOut, length, sentinels, seed);
        return StepTrainer.Train(t5, step =>
        {
            var rng = new Random(StableSeed.Of(seed, step));
            var examples = Enumerable.Range(0, batch).Select(_ => Example(train, length, sentinels, rng)).ToList();
            var (x, mask, y) = Stack(examples);
            return t5.Loss(x, mask, y, SentencePiece.PadId);
        }, options, () => Evaluate(t5, held), progress, configuration, cancellation);
    }

    /// <summary>Fixed held-out examples: <see cref="HeldOutWindows"/> corrupted windows drawn with their own seed.</summary>
    /// <exception cref="ArgumentException">The held-out stream is not longer than a window.</exception>
    public static List<(long[] Input, long[] Target)> HeldOut(int[] heldOut, int length, IReadOnlyList<long> sentinels, int seed)
    {
        ArgumentNullException.ThrowIfNull(heldOut);
        if (heldOut.Length <= length) throw new ArgumentException($"The held-out text is {heldOut.Length} tokens; a window of {length} needs more.");
        var rng = new Random(seed + 1);
        return [.. Enumerable.Range(0, HeldOutWindows).Select(_ => Example(heldOut, length, sentinels, rng))];
    }

    /// <summary>
    /// The baseline a span-corruption loss is compared with: the cross-entropy (nats per target token) of <paramref name="heldOut"/>'s
    /// targets under a unigram model of the targets (sentinels and &lt;/s&gt; included) of 2,000 training windows drawn from
    /// <paramref name="train"/>, add-one smoothed over the vocabulary: a model that ignores the input and the spans' context.
    /// </summary>
    public static double UnigramLoss(int[] train, IReadOnlyList<(long[] Input, long[] Target)> heldOut, int length, IReadOnlyList<long> sentinels, int seed, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(heldOut);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, 1);
        var counts = new long[vocabSize];
        long total = 0;
        var rng = new Random(seed + 2);
        for (int i = 0; i < 2000; i++)
            foreach (var id in Example(train, length, sentinels, rng).Target) { counts[id]++; total++; }
        double nats = 0;
        long tokens = 0;
        foreach (var (_, target) in heldOut)
            foreach (var id in target) { nats -= Math.Log((counts[id] + 1.0) / (total + vocabSize)); tokens++; }
        return nats / Math.Max(1, tokens);
    }

    /// <summary>Mean cross-entropy (nats) per target token of <paramref name="examples"/>, teacher-forced.</summary>
    public static double Evaluate(T5 t5, IReadOnlyList<(long[] Input, long[] Target)> examples)
    {
        ArgumentNullException.ThrowIfNull(t5);
        ArgumentNullException.ThrowIfNull(examples);
        using var evalMode = EvalMode.Of(t5);
        using var noGrad = no_grad();
        double nats = 0;
        long tokens = 0;
        foreach (var chunk in examples.Chunk(32))
        {
            using var scope = NewDisposeScope();
            var (x, mask, y) = Stack(chunk);
            long n = chunk.Sum(e => e.Target.Length);
            nats += t5.Loss(x, mask, y, SentencePiece.PadId).item<float>() * n;
            tokens += n;
        }

        return nats / Math.Max(1, tokens);
    }

    /// <summary>A batch of text-to-text examples: inputs padded with &lt;pad&gt; (B, S) and their mask (true on real tokens); targets padded with −1 (B, T), which the loss skips.</summary>
    internal static (Tensor X, Tensor Mask, Tensor Y) Stack(IReadOnlyList<(long[] Input, long[] Target)> examples)
    {
        int b = examples.Count, si = examples.Max(e => e.Input.Length), ti = examples.Max(e => e.Target.Length);
        var x = new long[b * si];
        var mask = new bool[b * si];
        var y = new long[b * ti];
        Array.Fill(y, -1L);
        for (int r = 0; r < b; r++)
        {
            examples[r].Input.CopyTo(x, r * si);
            for (int i = 0; i < examples[r].Input.Length; i++) mask[r * si + i] = true;
            examples[r].Target.CopyTo(y, r * ti);
        }

        return (tensor(x).reshape(b, si), tensor(mask).reshape(b, si), tensor(y).reshape(b, ti));
    }
}
