// Associative recall inserted into real text: a "needle" {KK:VV} (two capital letters as the key, two digits as the
// value) is written over the text at one place and its query {KK: over the text d bytes later; a model that can reach
// back d bytes predicts the value's two digits after the query, one that cannot is left guessing (1 in 100 for both).
// Every training window carries a needle pair at a random distance, so every model is taught the task on the
// same batches; held-out windows test fixed distances.
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Sequence;
using Lineage.Text.Determinism;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.LongContext;

/// <summary>Needle-in-text batches and accuracy for byte-level language models.</summary>
public static class NeedleTask
{
    /// <summary>Bytes of a needle "{KK:VV}".</summary>
    public const int NeedleLength = 7;

    /// <summary>Bytes of a query "{KK:".</summary>
    public const int QueryLength = 4;

    /// <summary>
    /// Writes a needle at <paramref name="start"/> and its query at start + <paramref name="distance"/> into
    /// <paramref name="bytes"/> (overwriting text), the value right after the query.
    /// </summary>
    /// <returns>The index of the query's first value digit.</returns>
    /// <exception cref="ArgumentException">The pair does not fit, or the distance is shorter than the needle.</exception>
    public static int Insert(byte[] bytes, int start, int distance, Random rng)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(rng);
        if (distance < NeedleLength) throw new ArgumentException($"The distance ({distance}) must be at least the needle's length ({NeedleLength}).", nameof(distance));
        if (start < 0 || start + distance + NeedleLength > bytes.Length)
            throw new ArgumentException($"A needle at {start} with its query {distance} bytes later does not fit in {bytes.Length} bytes.", nameof(distance));
        byte k1 = (byte)('A' + rng.Next(26)), k2 = (byte)('A' + rng.Next(26)), v1 = (byte)('0' + rng.Next(10)), v2 = (byte)('0' + rng.Next(10));
        byte[] needle = [(byte)'{', k1, k2, (byte)':', v1, v2, (byte)'}'];
        needle.CopyTo(bytes, start);
        needle.CopyTo(bytes, start + distance);                                   // the query, then the value and brace to be predicted
        return start + distance + QueryLength;
    }

    /// <summary>
    /// A training batch of random text windows of <paramref name="length"/> + 1 bytes, each carrying a needle pair at a
    /// random distance; depends only on (seed, step).
    /// </summary>
    public static (Tensor X, Tensor Y) Batch(ReadOnlySpan<byte> text, int batch, int length, int seed, long step)
    {
        var rng = new Random(StableSeed.Of(seed, step));
        var x = new long[batch * length];
        var y = new long[batch * length];
        var window = new byte[length + 1];
        for (int b = 0; b < batch; b++)
        {
            int from = rng.Next(text.Length - length - 1);
            text.Slice(from, length + 1).CopyTo(window);
            {
                int distance = rng.Next(NeedleLength, length - NeedleLength);
                Insert(window, rng.Next(length + 1 - distance - NeedleLength), distance, rng);
            }

            for (int t = 0; t < length; t++)
            {
                x[b * length + t] = window[t];
                y[b * length + t] = window[t + 1];
            }
        }

        return (tensor(x, [batch, length]), tensor(y, [batch, length]));
    }

    /// <summary>
    /// Accuracy of recalling both value digits (teacher-forced, argmax) over <paramref name="trials"/> held-out windows
    /// whose query sits near the window's end and whose needle is <paramref name="distance"/> bytes earlier.
    /// </summary>
    public static double Accuracy(nn.Module<Tensor, Tensor> model, ReadOnlySpan<byte> heldOut, int length, int distance, int trials, int seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        var rng = new Random(StableSeed.Of(seed, distance));
        int queryAt = length - NeedleLength - 1;
        int start = queryAt - distance;
        if (start < 0) throw new ArgumentException($"Distance {distance} does not fit in a window of {length}.", nameof(distance));
        using var evalMode = EvalMode.Of(model);
        using var noGrad = no_grad();
        int correct = 0;
        var window = new byte[length];
        for (int i = 0; i < trials; i++)
        {
            using var scope = NewDisposeScope();
            int from = rng.Next(heldOut.Length - length);
            heldOut.Slice(from, length).CopyTo(window);
            int value = Insert(window, start, distance, rng);
            var logits = model.forward(tensor(window.Select(b => (long)b).ToArray(), [1, length]));     // (1, T, V)
            bool first = logits[0, value - 1].argmax().item<long>() == window[value];
            bool second = logits[0, value].argmax().item<long>() == window[value + 1];
            if (first && second) correct++;
        }

        return (double)correct / trials;
    }

    /// <summary>
    /// Whether the needle can reach the query at all, whatever the training: the fraction of <paramref name="trials"/>
    /// windows in which the logit predicting the first value digit has a non-zero gradient with respect to the needle's
    /// embedded value. Structural: 0 beyond a sparse pattern's reach, 1 for dense attention and for recurrences.
    /// </summary>
    public static double Reach(MixerLm model, ReadOnlySpan<byte> heldOut, int length, int distance, int trials, int seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        var rng = new Random(StableSeed.Of(seed, distance, 1));
        int queryAt = length - NeedleLength - 1, start = queryAt - distance;
        using var evalMode = EvalMode.Of(model);
        int reached = 0;
        var window = new byte[length];
        for (int i = 0; i < trials; i++)
        {
            using var scope = NewDisposeScope();
            heldOut.Slice(rng.Next(heldOut.Length - length), length).CopyTo(window);
            int value = Insert(window, start, distance, rng);
            var x = model.Embed(tensor(window.Select(b => (long)b).ToArray(), [1, length])).detach().requires_grad_(true);
            var logits = model.ForwardEmbedded(x);
            logits[0, value - 1, window[value]].backward();
            if (x.grad!.select(1, start + 4).abs().max().item<float>() > 0) reached++;             // the needle's first value digit
        }

        return (double)reached / trials;
    }

    /// <summary>Trains a byte-level model on needle batches of <paramref name="corpus"/> with <see cref="StepTrainer"/>; held-out bits per byte as the evaluation.</summary>
    public static StepHistory Train(nn.Module<Tensor, Tensor> model, ByteCorpus corpus, int batch, int length, int seed, StepTrainingOptions options,
        IProgress<StepReport>? progress, string? configuration, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(corpus);
        var heldOut = corpus.HeldOut.AsSpan(0, Math.Min(corpus.HeldOut.Length, 8 * length + 1)).ToArray();
        var train = corpus.Train;
        return StepTrainer.Train(model, step =>
        {
            var (x, y) = Batch(train, batch, length, seed, step);
            return ByteLm.Loss(model.forward(x), y);
        }, options, () => ByteLm.BitsPerByte(model, heldOut, length, Math.Max(1, length / 2), maxWindows: 8, batch: 8), progress, configuration, cancellation);
    }
}
