// Experiment-side glue around the vision training recipe: ScheduledTrainer (src/Lineage.Neural/Vision) trains, and this
// adds what only an experiment has: the context's progress bar, its output folder for the per-epoch checkpoint, its
// cancellation, and the learning-curve plots and tables of the report. `lineage vit|swin train` calls the same
// ScheduledTrainer.Train with its own console progress and checkpoint path.
using System.Globalization;
using Lineage.Experiments.Report;
using Lineage.Experiments.Results;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Vision;
using static TorchSharp.torch;

namespace Lineage.Experiments.Vision;

/// <summary>Training and plots shared by the vision experiments.</summary>
public static class VisionTraining
{
    /// <summary>
    /// Trains a classifier with <see cref="ScheduledTrainer"/> (AdamW, linear warm-up, cosine decay), a progress bar and a
    /// checkpoint after every epoch in the experiment's output folder. Each epoch is scored on the first
    /// <paramref name="epochTestExamples"/> test images (0: all of them); a caller that reports only the final accuracy
    /// scores the whole test set itself and saves the per-epoch cost (for the data-size runs of 9 short epochs, most of it).
    /// </summary>
    public static TrainingHistory Train(ExperimentContext context, nn.Module<Tensor, Tensor> model, FashionImages data, ClassifierTrainingOptions options, string label,
        int warmupSteps, Tensor? xTrain = null, Tensor? yTrain = null, string checkpoint = "checkpoint.bin", long maxSteps = 0, ImageAugmentation? augmentation = null,
        int epochTestExamples = 0)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        xTrain ??= data.XTrain;
        yTrain ??= data.YTrain;
        var training = options with { CheckpointPath = context.OutputFile(checkpoint), EvalBatchSize = 1000 };
        long steps = training.Epochs * ((xTrain.shape[0] + training.BatchSize - 1) / training.BatchSize);
        if (maxSteps > 0) steps = Math.Min(steps, maxSteps);
        using var bar = context.Progress.Start(label, steps);
        var progress = new SyncProgress<StepReport>(r =>
            bar.Report(r.Step, string.Create(CultureInfo.InvariantCulture, $"epoch {r.Epoch}/{training.Epochs}, loss {r.Loss:0.000}")));
        long tested = epochTestExamples > 0 ? Math.Min(epochTestExamples, data.XTest.shape[0]) : data.XTest.shape[0];
        using var xTest = data.XTest.narrow(0, 0, tested);
        using var yTest = data.YTest.narrow(0, 0, tested);
        return ScheduledTrainer.Train(model, xTrain, yTrain, xTest, yTest, training, warmupSteps, progress, maxSteps, augmentation, context.Cancellation);
    }

    /// <summary>Learning-curve and test-accuracy plots.</summary>
    public static void Curves(ExperimentContext context, ExperimentResult result, TrainingHistory history, string name)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(history);
        int perEpoch = Math.Max(1, history.StepLosses.Count / Math.Max(1, history.Epochs.Count));
        var steps = Enumerable.Range(1, history.StepLosses.Count).Select(s => (double)s / perEpoch).ToList();
        var epochs = history.Epochs.Select(e => (double)e.Epoch).ToList();
        string file = $"{name.ToLowerInvariant()}-learning-curve.png";
        Plots.Lines(context.OutputFile(file), $"{name} on Fashion-MNIST: learning curve", "epoch", "cross-entropy",
            new Series("training loss (per step, smoothed over 50)", steps, Plots.Smooth(history.StepLosses, 50)),
            new Series("test loss (after each epoch)", epochs, history.Epochs.Select(e => e.TestLoss).ToList()));
        result.Plot(context.RelativeOutput(file), $"{name}: training loss per step and test loss per epoch");
        result.Table($"{name}: test accuracy after each epoch", ["epoch", "test accuracy", "seconds"],
            history.Epochs.Select(e => (IReadOnlyList<string>)[e.Epoch.ToString(CultureInfo.InvariantCulture), e.TestAccuracy.ToString("P2", CultureInfo.InvariantCulture),
                e.Seconds.ToString("0", CultureInfo.InvariantCulture)]));
    }
}
