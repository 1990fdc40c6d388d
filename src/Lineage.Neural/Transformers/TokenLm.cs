// A GPT trained as a language model over subword ids (lineage gpt pretrain): seeded random windows per step, so a
// resumed run reproduces an uninterrupted one, and held-out perplexity.
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Text.Determinism;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Transformers;

/// <summary>
/// A GPT as a language model over token ids (subword tokens rather than bytes): random training windows drawn from the
/// step number (so a resumed run reproduces the uninterrupted one), and held-out perplexity.
/// </summary>
public static class TokenLm
{
    /// <summary>Trains <paramref name="gpt"/> on windows of its context length from <paramref name="train"/>; evaluates perplexity on <paramref name="heldOut"/>.</summary>
    /// <exception cref="ArgumentException">The training or held-out ids are not longer than one window.</exception>
    public static StepHistory Train(Gpt gpt, int[] train, int[] heldOut, int batch, int seed, StepTrainingOptions options,
        IProgress<StepReport>? progress, string? configuration, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(gpt);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(heldOut);
        int length = gpt.Config.ContextLength;
        if (train.Length <= length + 1) throw new ArgumentException($"The training text has {train.Length} tokens; a context of {length} needs more than {length + 1}.", nameof(train));
        if (heldOut.Length <= length + 1) throw new ArgumentException($"The held-out text has {heldOut.Length} tokens; a context of {length} needs more than {length + 1}.", nameof(heldOut));
        return StepTrainer.Train(gpt, step =>
        {
            var (x, y) = Batch(train, batch, length, seed, step);
            return Gpt.Loss(gpt.forward(x), y);
        }, options, () => Perplexity(gpt, heldOut, maxWindows: 16), progress, configuration, cancellation);
    }

    /// <summary>A batch of random windows: inputs (B, T) and the same shifted by one.</summary>
    public static (Tensor X, Tensor Y) Batch(int[] data, int batch, int length, int seed, long step)
    {
        ArgumentNullException.ThrowIfNull(data);
        var rng = new Random(StableSeed.Of(seed, step));
        var x = new long[batch * length];
        var y = new long[batch * length];
        for (int b = 0; b < batch; b++)
        {
            int start = rng.Next(data.Length - length - 1);
            for (int t = 0; t < length; t++)
            {
                x[b * length + t] = data[start + t];
                y[b * length + t] = data[start + t + 1];
            }
        }

        return (tensor(x, [batch, length]), tensor(y, [batch, length]));
    }

    /// <summary>Perplexity exp(mean cross-entropy) over consecutive windows of the context length (at most <paramref name="maxWindows"/>).</summary>
    /// <exception cref="ArgumentException">Fewer ids than one window.</exception>
    public static double Perplexity(Gpt gpt, int[] data, int maxWindows = 64, int batch = 8)
    {
        ArgumentNullException.ThrowIfNull(gpt);
        ArgumentNullException.ThrowIfNull(data);
        int length = gpt.Config.ContextLength;
        int windows = Math.Min(maxWindows, (data.Length - 1) / length);
        if (windows < 1) throw new ArgumentException($"The text has {data.Length} tokens, fewer than one window of {length + 1}.", nameof(data));
        using var evalMode = EvalMode.Of(gpt);
        using var noGrad = no_grad();
        double nats = 0;
        long count = 0;
        for (int first = 0; first < windows; first += batch)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(batch, windows - first);
            var x = new long[n * length];
            var y = new long[n * length];
            for (int b = 0; b < n; b++)
            {
                for (int t = 0; t < length; t++)
                {
                    x[b * length + t] = data[(first + b) * length + t];
                    y[b * length + t] = data[(first + b) * length + t + 1];
                }
            }

            var logits = gpt.forward(tensor(x, [n, length]));
            nats += nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), tensor(y), reduction: nn.Reduction.Sum).item<float>();
            count += (long)n * length;
        }

        return Math.Exp(nats / count);
    }
}
