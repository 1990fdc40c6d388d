// Frozen features + a logistic-regression probe: how much a pretrained encoder's vectors already know about a task.
// Paper:   Alain & Bengio 2016, "Understanding intermediate layers using linear classifier probes", arXiv:1610.01644;
//          the mean-pooled sentence vector of Reimers & Gurevych 2019 (Sentence-BERT, arXiv:1908.10084).
// Lineage: the cheapest use of a pretrained encoder, and the fairest comparison of two encoders: nothing in the encoder
//          moves, so the probe scores the representation alone (fine-tuning, EncoderPretraining.FineTune, also trains it).
// Shapes:  N texts, T tokens (the longest in a batch), C the encoder's width; features (N, C); w (C), b scalar.
// How:     features = L2-normalised masked mean of the last hidden state (SentenceEmbedder.Pool), batches sorted by length
//          so little is padding; the probe standardises each feature with the training mean and deviation, then fits
//          σ(x·w + b) by full-batch Adam on the mean cross-entropy + λ‖w‖² for a fixed number of steps (convex: the
//          seed only breaks ties of a zero start). Scores: accuracy and macro-F1 (the mean of both classes' F1).
// Deviations: Adam for a fixed number of steps instead of a solver run to convergence (L-BFGS, SDCA); at 384 features
//             and a few thousand texts the loss has stopped moving well before the last step.
using Lineage.Neural.Transformers;
using Lineage.Neural.Transformers.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Pretrained;

/// <summary>A binary probe's scores on held-out texts.</summary>
/// <param name="Accuracy">Fraction classified right.</param>
/// <param name="MacroF1">The mean of the positive and the negative class's F1.</param>
/// <param name="PositiveF1">F1 of the positive class.</param>
public sealed record ProbeScores(double Accuracy, double MacroF1, double PositiveF1);

/// <summary>Frozen encoder features and a logistic-regression probe on them.</summary>
public static class FrozenProbe
{
    /// <summary>
    /// Mean-pooled, L2-normalised last hidden states (N, C) of <paramref name="model"/> for token sequences (each [CLS] … [SEP]),
    /// computed without gradients in batches of <paramref name="batch"/> sorted by length; rows in the order given.
    /// </summary>
    public static Tensor Features(Bert model, IReadOnlyList<long[]> ids, long pad, int batch = 32, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        if (ids.Count == 0) throw new ArgumentException("No texts to encode.", nameof(ids));
        bool training = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            var order = Enumerable.Range(0, ids.Count).OrderBy(i => ids[i].Length).ThenBy(i => i).ToArray();
            var chunks = new List<Tensor>();
            using var outer = NewDisposeScope();
            for (int start = 0; start < order.Length; start += batch)
            {
                cancellation.ThrowIfCancellationRequested();
                var picked = order.Skip(start).Take(batch).ToArray();
                using var scope = NewDisposeScope();
                var (idsT, padding) = EncoderPretraining.Pad([.. picked.Select(i => ids[i])], pad);
                var hidden = model.Encode(idsT, padding, null);
                chunks.Add(SentenceEmbedder.Pool(hidden, padding, Pooling.Mean)!.MoveToOuterDisposeScope());
            }

            var sorted = cat(chunks, 0);
            var inverse = new long[order.Length];
            for (int k = 0; k < order.Length; k++) inverse[order[k]] = k;
            return sorted.index_select(0, tensor(inverse)).MoveToOuterDisposeScope();
        }
        finally
        {
            model.train(training);
        }
    }

    /// <summary>
    /// Fits the probe on (<paramref name="trainX"/> (N, C), <paramref name="trainY"/>) and scores it on
    /// (<paramref name="testX"/>, <paramref name="testY"/>); labels are true for the positive class.
    /// </summary>
    /// <param name="trainX">Training features (N, C).</param>
    /// <param name="trainY">Training labels.</param>
    /// <param name="testX">Held-out features (M, C).</param>
    /// <param name="testY">Held-out labels.</param>
    /// <param name="l2">λ of the weight penalty λ‖w‖² (on standardised features).</param>
    /// <param name="steps">Full-batch Adam steps.</param>
    /// <param name="learningRate">Adam's step size.</param>
    /// <param name="seed">Seeds libtorch.</param>
    public static ProbeScores TrainAndScore(Tensor trainX, IReadOnlyList<bool> trainY, Tensor testX, IReadOnlyList<bool> testY,
        double l2 = 1e-3, int steps = 300, double learningRate = 0.05, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(trainX);
        ArgumentNullException.ThrowIfNull(testX);
        ArgumentNullException.ThrowIfNull(trainY);
        ArgumentNullException.ThrowIfNull(testY);
        if (trainX.dim() != 2 || testX.dim() != 2 || trainX.shape[1] != testX.shape[1])
            throw new ArgumentException($"Features must be (N, C) with the same C; got [{string.Join(", ", trainX.shape)}] and [{string.Join(", ", testX.shape)}].", nameof(testX));
        if (trainX.shape[0] != trainY.Count) throw new ArgumentException($"{trainX.shape[0]} training rows for {trainY.Count} labels.", nameof(trainY));
        if (testX.shape[0] != testY.Count) throw new ArgumentException($"{testX.shape[0]} held-out rows for {testY.Count} labels.", nameof(testY));
        if (trainY.Distinct().Count() < 2) throw new ArgumentException("The training labels hold one class only.", nameof(trainY));
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);

        torch.manual_seed(seed);
        using var scope = NewDisposeScope();
        var x = trainX.to(ScalarType.Float32).detach();
        var mean = x.mean([0], keepdim: true);
        var std = x.std(0, keepdim: true).clamp_min(1e-6);
        x = (x - mean) / std;
        var y = tensor(trainY.Select(v => v ? 1f : 0f).ToArray());
        var w = new TorchSharp.Modules.Parameter(zeros(x.shape[1]));
        var b = new TorchSharp.Modules.Parameter(zeros(1));
        using var optimizer = optim.Adam([w, b], learningRate);
        for (int step = 0; step < steps; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            var logits = x.matmul(w) + b;
            var loss = nn.functional.binary_cross_entropy_with_logits(logits, y) + (l2 * w.pow(2).sum());
            loss.backward();
            optimizer.step();
        }

        using var noGrad = no_grad();
        var predicted = (((testX.to(ScalarType.Float32) - mean) / std).matmul(w) + b).gt(0).data<bool>().ToArray();
        return Score(predicted, testY);
    }

    /// <summary>Accuracy, macro-F1 and the positive class's F1 of predictions against labels.</summary>
    public static ProbeScores Score(IReadOnlyList<bool> predicted, IReadOnlyList<bool> truth)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(truth);
        if (predicted.Count != truth.Count) throw new ArgumentException($"{predicted.Count} predictions for {truth.Count} labels.", nameof(predicted));
        if (truth.Count == 0) throw new ArgumentException("No labels to score.", nameof(truth));
        int tp = 0, fp = 0, fn = 0, tn = 0;
        for (int i = 0; i < truth.Count; i++)
        {
            if (predicted[i] && truth[i]) tp++;
            else if (predicted[i]) fp++;
            else if (truth[i]) fn++;
            else tn++;
        }

        static double F1(int hit, int falsePositive, int miss) => hit == 0 ? 0 : 2.0 * hit / ((2.0 * hit) + falsePositive + miss);
        double positive = F1(tp, fp, fn), negative = F1(tn, fn, fp);
        return new ProbeScores((tp + tn) / (double)truth.Count, (positive + negative) / 2, positive);
    }
}
