// The template experiment: every later experiment follows its shape.
//   seed → require data → model-cache lookup → train (progress bar, dispose scopes, atomic checkpoints)
//   → evaluate → metrics, claims, plots and tables returned as data.
using System.Globalization;
using System.Text.Json;
using Lineage.Data;
using Lineage.Data.Catalog;
using Lineage.Experiments.Report;
using Lineage.Experiments.Results;
using Lineage.Neural.Core;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Foundations;
using TorchSharp;

namespace Lineage.Experiments.Foundations;

/// <summary>What the Fashion-MNIST MLP experiment trains with; part of the model-cache key.</summary>
/// <param name="Model">Network size.</param>
/// <param name="Training">Optimiser and schedule.</param>
/// <param name="TrainExamples">Training images used (the first N).</param>
/// <param name="TestExamples">Test images used (the first N).</param>
public sealed record MlpSettings(MlpConfig Model, ClassifierTrainingOptions Training, int TrainExamples, int TestExamples)
{
    /// <summary>The real run: all 60,000 training images, 5 epochs.</summary>
    public static MlpSettings Default(int seed) => new(new MlpConfig(), new ClassifierTrainingOptions(Epochs: 5, BatchSize: 128, LearningRate: 1e-3, Seed: seed), 60_000, 10_000);

    /// <summary>Smoke-test sizes: 10,000 images, 2 epochs.</summary>
    public static MlpSettings Quick(int seed) => new(new MlpConfig(Hidden: 128), new ClassifierTrainingOptions(Epochs: 2, BatchSize: 128, LearningRate: 2e-3, Seed: seed), 10_000, 2_000);
}

/// <summary>A two-layer perceptron on Fashion-MNIST: proves the neural stack trains on real data on this CPU.</summary>
public sealed class FashionMnistMlpExperiment : IExperiment
{
    /// <summary>Test accuracy the claim asks for (the bar; 5 epochs reach about 0.87).</summary>
    public const double AccuracyBar = 0.80;

    /// <summary>Training time the claim allows on 2 cores.</summary>
    public const double SecondsBar = 60;

    /// <inheritdoc />
    public ExperimentInfo Info { get; } = new(
        Id: "foundations.mlp",
        Family: Family.Foundations,
        Title: "An MLP learns Fashion-MNIST in under a minute",
        Summary: "784 → 256 → 10 perceptron, AdamW, cross-entropy, on the 60,000 training images; test accuracy on the 10,000 test images.",
        Paper: Papers.Rumelhart1986,
        Budget: TimeSpan.FromSeconds(20),
        QuickBudget: TimeSpan.FromMinutes(1));

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Quick ? MlpSettings.Quick(context.Seed) : MlpSettings.Default(context.Seed);
        var dataDir = context.Require(DataCatalog.FashionMnist);
        var manifest = context.Data.Check(DataCatalog.FashionMnist).Manifest!;
        var (trainImages, trainLabels) = FashionMnist.Read(dataDir, train: true);
        var (testImages, testLabels) = FashionMnist.Read(dataDir, train: false);

        Seeding.Seed(context.Seed);
        using var model = new Mlp(settings.Model);
        var (xTrain, yTrain) = DataTensors.Flattened(trainImages, trainLabels, settings.TrainExamples);
        var (xTest, yTest) = DataTensors.Flattened(testImages, testLabels, settings.TestExamples);
        using (xTrain) using (yTrain) using (xTest) using (yTest)
        {
            var result = context.Result();
            var cache = context.Models.Entry(Info.Id, settings, [manifest]);
            (var history, result.Model) = cache.LoadOrTrain(model, () =>
            {
                var training = settings.Training with { CheckpointPath = context.OutputFile("checkpoint.bin") };
                long steps = training.Epochs * ((settings.TrainExamples + training.BatchSize - 1) / training.BatchSize);
                using var bar = context.Progress.Start("MLP on Fashion-MNIST", steps);
                var progress = new SyncProgress<StepReport>(r =>
                    bar.Report(r.Step, string.Create(CultureInfo.InvariantCulture, $"epoch {r.Epoch}/{training.Epochs}, loss {r.Loss:0.000}")));
                return ClassifierTrainer.Train(model, xTrain, yTrain, xTest, yTest, training, progress, context.Cancellation);
            });
            if (result.Model == ModelOrigin.Reused) context.Progress.Log($"{Info.Id}: reusing the trained model {cache.Key} (same data, settings and code)");

            // Measured now, on the model in hand, whether trained or reused.
            var (testLoss, accuracy) = ClassifierTrainer.Evaluate(model, xTest, yTest);
            double trainSeconds = history.Epochs.Sum(e => e.Seconds);
            long parameters = model.parameters().Sum(p => p.numel());

            result.Metric("test_accuracy", accuracy)
                  .Metric("test_loss", testLoss)
                  .Metric("train_seconds", trainSeconds)
                  .Metric("epochs", history.Epochs.Count)
                  .Metric("train_examples", settings.TrainExamples)
                  .Metric("test_examples", settings.TestExamples)
                  .Metric("parameters", parameters)
                  .Metric("threads", torch.get_num_threads());
            result.ClaimAtLeast($"an MLP reaches ≥ {AccuracyBar:P0} test accuracy on Fashion-MNIST", accuracy, AccuracyBar)
                  .ClaimAtMost($"its training takes under a minute on {Environment.ProcessorCount} cores (seconds)", trainSeconds, SecondsBar);

            Curves(context, result, history);
            PerClass(model, xTest, yTest, result);
            result.Note("The MLP sees each image as 784 unrelated numbers: nothing in it knows that neighbouring pixels belong together. " +
                        "The vision chapter measures what convolutions and patch attention gain by building that in (or learning it).");
            return result;
        }
    }

    private static void Curves(ExperimentContext context, ExperimentResult result, TrainingHistory history)
    {
        int perEpoch = Math.Max(1, history.StepLosses.Count / Math.Max(1, history.Epochs.Count));
        var steps = Enumerable.Range(1, history.StepLosses.Count).Select(s => (double)s / perEpoch).ToList();
        var epochs = history.Epochs.Select(e => (double)e.Epoch).ToList();
        Plots.Lines(context.OutputFile("learning-curve.png"), "Fashion-MNIST MLP: learning curve", "epoch", "cross-entropy",
            new Series("training loss (per step, smoothed over 50)", steps, Plots.Smooth(history.StepLosses, 50)),
            new Series("test loss (after each epoch)", epochs, history.Epochs.Select(e => e.TestLoss).ToList()));
        Plots.Lines(context.OutputFile("test-accuracy.png"), "Fashion-MNIST MLP: test accuracy", "epoch", "accuracy",
            new Series("test accuracy", epochs, history.Epochs.Select(e => e.TestAccuracy).ToList()));
        result.Plot(context.RelativeOutput("learning-curve.png"), "Training loss per step and test loss per epoch")
              .Plot(context.RelativeOutput("test-accuracy.png"), "Test accuracy after each epoch");
    }

    private static void PerClass(Mlp model, torch.Tensor x, torch.Tensor y, ExperimentResult result)
    {
        model.eval();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var predicted = model.forward(x).argmax(1).data<long>().ToArray();
        var truth = y.data<long>().ToArray();
        var rows = new List<IReadOnlyList<string>>();
        for (int c = 0; c < FashionMnist.ClassNames.Count; c++)
        {
            int total = truth.Count(t => t == c);
            int right = truth.Where((t, i) => t == c && predicted[i] == c).Count();
            var confusedWith = truth.Select((t, i) => (t, p: predicted[i])).Where(p => p.t == c && p.p != c)
                                    .GroupBy(p => p.p).OrderByDescending(g => g.Count()).FirstOrDefault();
            rows.Add([FashionMnist.ClassNames[c], total.ToString(CultureInfo.InvariantCulture),
                      total == 0 ? "–" : ((double)right / total).ToString("P1", CultureInfo.InvariantCulture),
                      confusedWith is null ? "–" : $"{FashionMnist.ClassNames[(int)confusedWith.Key]} ({confusedWith.Count()})"]);
        }
        result.Table("Per-class test accuracy: shirts, pullovers and coats are the hard ones", ["class", "test images", "accuracy", "most often mistaken for"], rows);
    }
}
