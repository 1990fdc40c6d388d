// What every byte-level language model shares: the loss in bits per byte, batches of random windows drawn
// deterministically from the step number (so a resumed run sees the same batches), held-out evaluation and
// sampling with a temperature, and the training-pass throughput the ByteNet chapter compares.
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Text.Determinism;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Sequence;

/// <summary>Loss, batches, evaluation and sampling for byte-level language models (<see cref="ByteNet"/>, <see cref="RecurrentLm"/>).</summary>
public static class ByteLm
{
    /// <summary>Mean next-byte cross-entropy in nats; logits (B, T, V), targets (B, T) int64.</summary>
    public static Tensor Loss(Tensor logits, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), targets.reshape(-1));
    }

    /// <summary>
    /// Trains any byte-level model (logits (B, T, 256) from bytes (B, T)) on <paramref name="corpus"/> with
    /// <see cref="StepTrainer"/>: the batches of <see cref="Batch"/>, and held-out bits per byte on up to 16 windows every
    /// <see cref="StepTrainingOptions.EvaluateEvery"/> steps, scoring the second half of each window.
    /// </summary>
    /// <param name="model">The model; its parameters are trained.</param>
    /// <param name="corpus">Training and held-out bytes.</param>
    /// <param name="batch">Windows per step.</param>
    /// <param name="length">Bytes per window.</param>
    /// <param name="seed">Seeds the batches.</param>
    /// <param name="options">Steps, learning rate, checkpoints.</param>
    /// <param name="progress">Told after every step; may be null.</param>
    /// <param name="configuration">The model's configuration, stored in checkpoints and checked on resume.</param>
    /// <param name="cancellation">Stops between steps (after checkpointing).</param>
    /// <exception cref="ArgumentException">The corpus is too short for the sequence length.</exception>
    public static StepHistory Train(nn.Module<Tensor, Tensor> model, ByteCorpus corpus, int batch, int length, int seed, StepTrainingOptions options,
        IProgress<StepReport>? progress, string? configuration, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(corpus);
        if (corpus.Train.Length <= length + 1)
            throw new ArgumentException($"Sequence length {length} is not shorter than the training text ({corpus.Train.Length} bytes).", nameof(corpus));
        if (corpus.HeldOut.Length <= length + 1)
            throw new ArgumentException($"Sequence length {length} is not shorter than the held-out text ({corpus.HeldOut.Length} bytes).", nameof(corpus));
        var heldOut = corpus.HeldOut.AsSpan(0, Math.Min(corpus.HeldOut.Length, 16 * length + 1)).ToArray();
        int scored = Math.Max(1, length / 2);
        var train = corpus.Train;
        return StepTrainer.Train(model, step =>
        {
            var (x, y) = Batch(train, batch, length, seed, step);
            return Loss(model.forward(x), y);
        }, options, () => BitsPerByte(model, heldOut, length, scored), progress, configuration, cancellation);
    }

    /// <summary>
    /// Bytes per second of one training pass (forward and backward, no optimiser step) of each model, the models taking
    /// turns round by round on the same batches (drawn with <see cref="Batch"/> from <paramref name="seed"/> and steps
    /// 1,000,000 + round), so that load from other processes hits all alike; round 0 warms up, the rest are timed and the
    /// median counts. Before each model's pass <paramref name="recurrent"/>.Fused is set to the entry's Fused, so one
    /// recurrent model can be timed both on libtorch's fused kernel and on its equations; it is left fused.
    /// </summary>
    /// <param name="entries">Name, model and the Fused setting for <paramref name="recurrent"/> during its pass.</param>
    /// <param name="recurrent">The recurrent network whose kernel the entries switch.</param>
    /// <param name="data">Training bytes.</param>
    /// <param name="batch">Windows per pass.</param>
    /// <param name="length">Bytes per window.</param>
    /// <param name="seed">Seeds the batches.</param>
    /// <param name="rounds">Timed rounds.</param>
    /// <param name="cancellation">Checked before every pass.</param>
    /// <returns>Bytes per second by name.</returns>
    public static Dictionary<string, double> Throughput(IReadOnlyList<(string Name, nn.Module<Tensor, Tensor> Model, bool Fused)> entries, Recurrent recurrent,
        byte[] data, int batch, int length, int seed, int rounds, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(recurrent);
        var times = entries.ToDictionary(m => m.Name, _ => new List<double>());
        for (int r = 0; r <= rounds; r++)
        {
            foreach (var (name, model, fused) in entries)
            {
                cancellation.ThrowIfCancellationRequested();
                recurrent.Fused = fused;
                model.train();
                using var scope = torch.NewDisposeScope();
                var (x, y) = Batch(data, batch, length, seed, 1_000_000 + r);
                var clock = System.Diagnostics.Stopwatch.StartNew();
                Loss(model.forward(x), y).backward();
                if (r > 0) times[name].Add(clock.Elapsed.TotalSeconds);             // round 0 warms up
                model.zero_grad();
            }
        }
        recurrent.Fused = true;
        return times.ToDictionary(t => t.Key, t => batch * length / t.Value.Order().ElementAt(t.Value.Count / 2));
    }

    /// <summary>
    /// A batch of <paramref name="batch"/> random windows of <paramref name="length"/> + 1 bytes: inputs are the first
    /// <paramref name="length"/> bytes, targets the same shifted by one. The windows depend only on
    /// (<paramref name="seed"/>, <paramref name="step"/>).
    /// </summary>
    /// <returns>(inputs, targets), each int64 (B, T).</returns>
    /// <exception cref="ArgumentException">The data is not longer than one window, or sizes are not positive.</exception>
    public static (Tensor X, Tensor Y) Batch(ReadOnlySpan<byte> data, int batch, int length, int seed, long step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1, nameof(batch));
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1, nameof(length));
        if (data.Length <= length + 1)
            throw new ArgumentException($"The corpus has {data.Length} bytes; a sequence length of {length} needs more than {length + 1}.", nameof(data));
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
        return (torch.tensor(x, [batch, length]), torch.tensor(y, [batch, length]));
    }

    /// <summary>
    /// Held-out bits per byte: the data is cut into consecutive windows of <paramref name="length"/> + 1 bytes and only
    /// the last <paramref name="scored"/> predictions of each window count, so every scored byte has at least
    /// length − scored bytes of context (a convolution's receptive field, an RNN's warm-up).
    /// </summary>
    /// <exception cref="ArgumentException">Fewer bytes than one window, or scored outside 1..length.</exception>
    public static double BitsPerByte(nn.Module<Tensor, Tensor> model, ReadOnlySpan<byte> data, int length, int scored, int maxWindows = 64, int batch = 16)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(scored, 1, nameof(scored));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(scored, length, nameof(scored));
        int windows = Math.Min(maxWindows, (data.Length - 1) / length);
        if (windows < 1) throw new ArgumentException($"Held-out data has {data.Length} bytes, fewer than one window of {length + 1}.", nameof(data));
        using var evalMode = EvalMode.Of(model);
        using var noGrad = torch.no_grad();
        double nats = 0;
        long count = 0;
        for (int first = 0; first < windows; first += batch)
        {
            using var scope = torch.NewDisposeScope();
            int n = Math.Min(batch, windows - first);
            var x = new long[n * length];
            var y = new long[n * length];
            for (int b = 0; b < n; b++)
            {
                int start = (first + b) * length;
                for (int t = 0; t < length; t++)
                {
                    x[b * length + t] = data[start + t];
                    y[b * length + t] = data[start + t + 1];
                }
            }
            var logits = model.forward(torch.tensor(x, [n, length]));                         // (n, T, V)
            var tail = logits.narrow(1, length - scored, scored).reshape(-1, logits.shape[^1]);
            var target = torch.tensor(y, [n, length]).narrow(1, length - scored, scored).reshape(-1);
            nats += nn.functional.cross_entropy(tail, target, reduction: nn.Reduction.Sum).item<float>();
            count += (long)n * scored;
        }
        return nats / count / Math.Log(2);
    }

    /// <summary>
    /// Continues <paramref name="prompt"/> by <paramref name="length"/> bytes, each drawn from softmax(logits / temperature)
    /// (temperature 0: the most likely byte). A <see cref="RecurrentLm"/> carries its state from byte to byte; any other
    /// model is re-run on the last <paramref name="context"/> bytes.
    /// </summary>
    /// <exception cref="ArgumentException">Empty prompt, negative temperature or length.</exception>
    public static byte[] Sample(nn.Module<Tensor, Tensor> model, ReadOnlySpan<byte> prompt, int length, double temperature, int seed, int context = 256)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (prompt.IsEmpty) throw new ArgumentException("The prompt must have at least one byte.", nameof(prompt));
        ArgumentOutOfRangeException.ThrowIfNegative(length, nameof(length));
        if (!(temperature >= 0) || !double.IsFinite(temperature)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "must be ≥ 0");
        ArgumentOutOfRangeException.ThrowIfLessThan(context, 1, nameof(context));
        using var evalMode = EvalMode.Of(model);
        using var noGrad = torch.no_grad();
        using var generator = new torch.Generator((ulong)seed);
        var text = new List<byte>(prompt.ToArray());
        RecurrentState? state = null;                                                         // carried between bytes
        var outer = torch.NewDisposeScope();
        try
        {
            for (int i = 0; i < length; i++)
            {
                using var scope = torch.NewDisposeScope();
                Tensor logits;                                                                  // (V)
                if (model is RecurrentLm rnn)
                {
                    var input = i == 0 ? text.Select(b => (long)b).ToArray() : [text[^1]];
                    var (all, next) = rnn.Step(torch.tensor(input, [1, input.Length]), state);
                    logits = all[0, -1];
                    state?.H.Dispose();                                                       // the previous state is used up
                    state?.C?.Dispose();
                    state = new RecurrentState(next.H.MoveToOuterDisposeScope(), next.C?.MoveToOuterDisposeScope());
                }
                else
                {
                    var window = text.Skip(Math.Max(0, text.Count - context)).Select(b => (long)b).ToArray();
                    logits = model.forward(torch.tensor(window, [1, window.Length]))[0, -1];
                }
                long next_byte = temperature == 0 ? logits.argmax().item<long>()
                    : torch.multinomial((logits / temperature).softmax(0), 1, generator: generator).item<long>();
                text.Add((byte)next_byte);
            }
        }
        finally
        {
            outer.Dispose();
        }
        return text.Skip(prompt.Length).ToArray();
    }
}
