// Mini-batch classifier training with a learning-rate schedule: linear warm-up, then cosine decay to zero, as ViT and
// Swin are trained (Dosovitskiy et al. 2021, App. B.1; Liu et al. 2021, §4.1). The epoch loop, checkpoints, history and
// evaluation follow ClassifierTrainer (and reuse its records and Evaluate); only the per-step learning rate is new.
using System.Diagnostics;
using System.Text.Json;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Vision;

/// <summary>Warm-up + cosine training of image classifiers.</summary>
public static class ScheduledTrainer
{
    /// <summary>The learning rate at step <paramref name="step"/> (0-based) of <paramref name="total"/>: linear warm-up over <paramref name="warmup"/> steps to <paramref name="peak"/>, then half a cosine to 0.</summary>
    public static double LearningRate(long step, long total, long warmup, double peak) => LearningRateSchedule.WarmupCosine(step, total, warmup, peak);

    /// <summary>Trains <paramref name="model"/> with AdamW under the schedule; checkpoints after every epoch; resumes when asked.</summary>
    /// <param name="model">Images → logits.</param>
    /// <param name="xTrain">Training images (N, C, H, W).</param>
    /// <param name="yTrain">Labels (N), int64.</param>
    /// <param name="xTest">Evaluation images.</param>
    /// <param name="yTest">Evaluation labels.</param>
    /// <param name="options">Epochs, batch, peak learning rate, weight decay, seed, checkpoint, resume.</param>
    /// <param name="warmupSteps">Steps of linear warm-up.</param>
    /// <param name="progress">Told after every step.</param>
    /// <param name="augmentation">Random crops and flips of each training batch (none by default).</param>
    /// <param name="cancellation">Stops between steps; the last epoch's checkpoint is intact.</param>
    /// <param name="maxSteps">Stop after this many steps in all, even within an epoch (0: no limit), for equal-compute comparisons.</param>
    /// <exception cref="TrainingDivergedException">A loss was NaN or infinite.</exception>
    public static TrainingHistory Train(nn.Module<Tensor, Tensor> model, Tensor xTrain, Tensor yTrain, Tensor xTest, Tensor yTest,
        ClassifierTrainingOptions options, int warmupSteps, IProgress<StepReport>? progress = null, long maxSteps = 0, ImageAugmentation? augmentation = null,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(xTrain);
        ArgumentNullException.ThrowIfNull(yTrain);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (xTrain.shape[0] != yTrain.shape[0] || xTrain.shape[0] == 0)
            throw new ArgumentException($"{xTrain.shape[0]} training images for {yTrain.shape[0]} labels; both must be equal and positive.", nameof(yTrain));
        var optimizer = torch.optim.AdamW(model.parameters(), options.LearningRate, weight_decay: options.WeightDecay);
        var history = TrainingHistory.Empty();
        if (options.Resume && File.Exists(options.CheckpointPath))
        {
            var info = Checkpoint.Load(options.CheckpointPath!, model, optimizer);
            history = JsonSerializer.Deserialize<TrainingHistory>(info.Metadata) ?? throw new InvalidDataException($"{options.CheckpointPath}: checkpoint has no training history");
        }

        long n = xTrain.shape[0];
        long perEpoch = (n + options.BatchSize - 1) / options.BatchSize;
        long total = maxSteps > 0 ? Math.Min(perEpoch * options.Epochs, maxSteps) : perEpoch * options.Epochs;
        long step = history.StepLosses.Count;
        for (int epoch = history.Epochs.Count + 1; epoch <= options.Epochs && step < total; epoch++)
        {
            var clock = Stopwatch.StartNew();
            model.train();
            var order = Enumerable.Range(0, (int)n).Select(i => (long)i).ToArray();
            new Random(options.Seed + epoch).Shuffle(order);
            var augmentRandom = new Random(options.Seed * 7919 + epoch);   // per epoch, so a resumed run draws the same crops
            double sum = 0;
            long taken = 0;
            for (long start = 0; start < n && step < total; start += options.BatchSize)
            {
                cancellation.ThrowIfCancellationRequested();
                taken++;
                foreach (var group in optimizer.ParamGroups) group.LearningRate = LearningRate(step, total, warmupSteps, options.LearningRate);
                long first = start;
                double value = NoGcRegion.Run(() =>                         // no collection mid-call (TorchSharp's Scalar race)
                {
                    using var scope = NewDisposeScope();
                    var index = tensor(order.AsSpan((int)first, (int)Math.Min(options.BatchSize, n - first)).ToArray());
                    optimizer.zero_grad();
                    var images = xTrain.index_select(0, index);
                    if (augmentation is { } a) images = ImageTensors.Augment(images, a.Pad, a.Flip, augmentRandom);
                    var loss = nn.functional.cross_entropy(model.forward(images), yTrain.index_select(0, index));
                    loss.backward();
                    optimizer.step();
                    return (double)loss.item<float>();
                });
                step++;
                if (!double.IsFinite(value))
                    throw new TrainingDivergedException(step, value, options.CheckpointPath is { } p && File.Exists(p) ? p : null);
                sum += value;
                history.StepLosses.Add(value);
                progress?.Report(new StepReport(step, total, value, epoch));
            }

            var (testLoss, accuracy) = ClassifierTrainer.Evaluate(model, xTest, yTest, options.EvalBatchSize);
            history.Epochs.Add(new EpochReport(epoch, sum / Math.Max(1, taken), testLoss, accuracy, clock.Elapsed.TotalSeconds));
            if (options.CheckpointPath is not null)
                Checkpoint.Save(options.CheckpointPath, model, optimizer, new CheckpointInfo(epoch, JsonSerializer.Serialize(history)));
        }

        return history;
    }
}

/// <summary>Training-time augmentation of each batch (<see cref="ImageTensors.Augment"/>): zero-pad by <paramref name="Pad"/> and crop back at a random offset, and flip half the images left-right when <paramref name="Flip"/>.</summary>
/// <param name="Pad">Pixels of padding on each side (the crop's largest shift).</param>
/// <param name="Flip">Flip a random half horizontally (meaningful for clothing and emoji, not digits or text).</param>
public sealed record ImageAugmentation(int Pad, bool Flip);
