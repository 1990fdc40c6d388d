using System.Diagnostics;
using System.Text.Json;
using Lineage.Neural.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Core.Training;

/// <summary>Settings of <see cref="ClassifierTrainer"/>.</summary>
/// <param name="Epochs">Passes over the training set.</param>
/// <param name="BatchSize">Examples per optimiser step.</param>
/// <param name="LearningRate">Adam's step size.</param>
/// <param name="WeightDecay">AdamW decoupled weight decay.</param>
/// <param name="Seed">Seeds the data order of every epoch (epoch e uses seed + e, so a resumed run sees the same batches).</param>
/// <param name="EvalBatchSize">Batch size for evaluation.</param>
/// <param name="CheckpointPath">Where to write a checkpoint after every epoch (atomically), or null.</param>
/// <param name="Resume">Continue from <paramref name="CheckpointPath"/> when it exists.</param>
public sealed record ClassifierTrainingOptions(
    int Epochs = 5,
    int BatchSize = 128,
    double LearningRate = 1e-3,
    double WeightDecay = 0,
    int Seed = 1337,
    int EvalBatchSize = 2000,
    string? CheckpointPath = null,
    bool Resume = false)
{
    /// <summary>Returns these options, or throws naming the bad field.</summary>
    public ClassifierTrainingOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 1, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(EvalBatchSize, 1, nameof(EvalBatchSize));
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "must be a positive number");
        if (Resume && CheckpointPath is null) throw new ArgumentException("Resume needs a CheckpointPath.", nameof(Resume));
        return this;
    }
}

/// <summary>One epoch's measurements.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="TrainLoss">Mean training cross-entropy over the epoch's steps.</param>
/// <param name="TestLoss">Cross-entropy on the evaluation set after the epoch.</param>
/// <param name="TestAccuracy">Accuracy on the evaluation set after the epoch.</param>
/// <param name="Seconds">Wall time of the epoch, training and evaluation.</param>
public sealed record EpochReport(int Epoch, double TrainLoss, double TestLoss, double TestAccuracy, double Seconds);

/// <summary>A training step, for progress displays.</summary>
/// <param name="Step">Steps done so far (1-based), counting from the first epoch.</param>
/// <param name="TotalSteps">Steps in the whole run.</param>
/// <param name="Loss">This step's loss.</param>
/// <param name="Epoch">Current epoch (1-based).</param>
public readonly record struct StepReport(long Step, long TotalSteps, double Loss, int Epoch);

/// <summary>The learning curve of a run: per-epoch reports and the loss of every step.</summary>
/// <param name="Epochs">One report per finished epoch.</param>
/// <param name="StepLosses">Training loss of every step, in order.</param>
public sealed record TrainingHistory(List<EpochReport> Epochs, List<double> StepLosses)
{
    /// <summary>An empty history.</summary>
    public static TrainingHistory Empty() => new([], []);
}

/// <summary>
/// Mini-batch training of a classifier on in-memory tensors with AdamW and cross-entropy; the training
/// loop every experiment copies. Each step lives in one dispose scope; the loss leaves it as a number and
/// is checked for NaN; a checkpoint (weights, optimiser, RNG, history) is written atomically after every
/// epoch; cancellation stops between steps, leaving the last checkpoint intact.
/// </summary>
public static class ClassifierTrainer
{
    /// <summary>Trains <paramref name="model"/> and returns its learning curve.</summary>
    /// <param name="model">Maps inputs (B, …) to logits (B, K).</param>
    /// <param name="xTrain">Training inputs (N, …), float32.</param>
    /// <param name="yTrain">Training labels (N), int64 in [0, K).</param>
    /// <param name="xTest">Evaluation inputs.</param>
    /// <param name="yTest">Evaluation labels.</param>
    /// <param name="options">Settings.</param>
    /// <param name="progress">Told after every step; may be null.</param>
    /// <param name="cancellation">Stops training between steps.</param>
    /// <exception cref="TrainingDivergedException">A loss was NaN or infinite.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the last epoch's checkpoint is intact.</exception>
    public static TrainingHistory Train(
        nn.Module<Tensor, Tensor> model, Tensor xTrain, Tensor yTrain, Tensor xTest, Tensor yTest,
        ClassifierTrainingOptions options, IProgress<StepReport>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(xTrain);
        ArgumentNullException.ThrowIfNull(yTrain);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        CheckPair(xTrain, yTrain, "training");
        CheckPair(xTest, yTest, "evaluation");

        var optimizer = torch.optim.AdamW(model.parameters(), options.LearningRate, weight_decay: options.WeightDecay);
        var history = TrainingHistory.Empty();
        if (options.Resume && File.Exists(options.CheckpointPath))
        {
            var info = Checkpoint.Load(options.CheckpointPath!, model, optimizer);
            history = JsonSerializer.Deserialize<TrainingHistory>(info.Metadata)
                ?? throw new InvalidDataException($"{options.CheckpointPath}: checkpoint has no training history");
        }

        long n = xTrain.shape[0];
        long stepsPerEpoch = (n + options.BatchSize - 1) / options.BatchSize;
        long totalSteps = stepsPerEpoch * options.Epochs;
        long step = history.StepLosses.Count;
        for (int epoch = history.Epochs.Count + 1; epoch <= options.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            model.train();
            var order = Permutation(n, options.Seed + epoch);
            double lossSum = 0;
            for (long start = 0; start < n; start += options.BatchSize)
            {
                cancellation.ThrowIfCancellationRequested();
                long first = start;
                double value = NoGcRegion.Run(() =>                         // no collection mid-call (TorchSharp's Scalar race)
                {
                    using var scope = torch.NewDisposeScope();             // every temporary of this step dies here
                    long size = Math.Min(options.BatchSize, n - first);
                    var index = torch.tensor(order.AsSpan((int)first, (int)size).ToArray(), dtype: ScalarType.Int64);
                    var x = xTrain.index_select(0, index);                 // (B, …)
                    var y = yTrain.index_select(0, index);                 // (B)
                    optimizer.zero_grad();
                    var loss = nn.functional.cross_entropy(model.forward(x), y);
                    loss.backward();
                    optimizer.step();
                    return (double)loss.item<float>();                     // leaves the scope as a number
                });
                step++;
                if (!double.IsFinite(value)) throw new TrainingDivergedException(step, value, LastCheckpoint(options));
                lossSum += value;
                history.StepLosses.Add(value);
                progress?.Report(new StepReport(step, totalSteps, value, epoch));
            }
            var (testLoss, testAccuracy) = Evaluate(model, xTest, yTest, options.EvalBatchSize);
            history.Epochs.Add(new EpochReport(epoch, lossSum / stepsPerEpoch, testLoss, testAccuracy, clock.Elapsed.TotalSeconds));
            if (options.CheckpointPath is not null)
                Checkpoint.Save(options.CheckpointPath, model, optimizer, new CheckpointInfo(epoch, JsonSerializer.Serialize(history)));
        }
        return history;
    }

    /// <summary>Mean cross-entropy and accuracy of <paramref name="model"/> on a labelled set, without gradients.</summary>
    public static (double Loss, double Accuracy) Evaluate(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y, int batchSize = 2000)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        model.eval();
        using var noGrad = torch.no_grad();
        long n = x.shape[0], correct = 0;
        double lossSum = 0;
        for (long start = 0; start < n; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            long size = Math.Min(batchSize, n - start);
            var xb = x.narrow(0, start, size);
            var yb = y.narrow(0, start, size);
            var logits = model.forward(xb);
            lossSum += nn.functional.cross_entropy(logits, yb, reduction: nn.Reduction.Sum).item<float>();
            correct += logits.argmax(1).eq(yb).sum().item<long>();
        }
        model.train();
        return (lossSum / n, (double)correct / n);
    }

    private static long[] Permutation(long n, int seed)
    {
        var order = new long[n];
        for (long i = 0; i < n; i++) order[i] = i;
        new Random(seed).Shuffle(order);
        return order;
    }

    private static void CheckPair(Tensor x, Tensor y, string what)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (y.dim() != 1 || x.shape[0] != y.shape[0])
            throw new ArgumentException($"The {what} inputs ({string.Join("×", x.shape)}) and labels ({string.Join("×", y.shape)}) must have the same first dimension, labels 1-D.");
        if (y.dtype != ScalarType.Int64) throw new ArgumentException($"The {what} labels must be int64, not {y.dtype}.");
        if (x.dtype != ScalarType.Float32) throw new ArgumentException($"The {what} inputs must be float32, not {x.dtype}.");
        if (x.shape[0] == 0) throw new ArgumentException($"The {what} set is empty.");
    }

    private static string? LastCheckpoint(ClassifierTrainingOptions o) =>
        o.CheckpointPath is not null && File.Exists(o.CheckpointPath) ? o.CheckpointPath : null;
}
