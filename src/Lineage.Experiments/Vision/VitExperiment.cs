// ViT on Fashion-MNIST: the issue's ≥ 88% claim, its learning curve, and attention rollout drawn over test images.
using Lineage.Data;
using Lineage.Experiments.Report;
using Lineage.Experiments.Results;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Vision;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Experiments.Vision;

/// <summary>What the ViT experiment trains with; part of the model-cache key.</summary>
/// <param name="Model">Network size.</param>
/// <param name="Training">Optimiser and schedule.</param>
/// <param name="TrainExamples">Training images used (the first N).</param>
/// <param name="TestExamples">Test images used (the first N).</param>
/// <param name="WarmupSteps">Linear warm-up steps before the cosine decay.</param>
public sealed record VitSettings(VitConfig Model, ClassifierTrainingOptions Training, int TrainExamples, int TestExamples, int WarmupSteps)
{
    /// <summary>
    /// The real run: 60,000 images, patch 4 (49 patches), width 64, 4 pre-LN blocks; 7 epochs, peak 2e-3, cosine. Measured
    /// with this model and schedule over 5 epochs: 82.3, 84.5, 86.3, 87.4, 87.8% test accuracy, short of the bar; 7 epochs
    /// give the cosine decay two more epochs.
    /// </summary>
    public static VitSettings Default(int seed) => new(
        new VitConfig(Patch: 4, Dim: 64, Layers: 4, Heads: 4, MlpRatio: 2),
        new ClassifierTrainingOptions(Epochs: 7, BatchSize: 128, LearningRate: 2e-3, WeightDecay: 0.05, Seed: seed), 60_000, 10_000, WarmupSteps: 300);

    /// <summary>Smoke-test sizes.</summary>
    public static VitSettings Quick(int seed) => new(
        new VitConfig(Patch: 7, Dim: 32, Layers: 2, Heads: 2, MlpRatio: 2),
        new ClassifierTrainingOptions(Epochs: 1, BatchSize: 128, LearningRate: 2e-3, Seed: seed), 3_000, 1_000, WarmupSteps: 5);
}

/// <summary>A Vision Transformer trained from scratch on Fashion-MNIST, and where its [CLS] token looks.</summary>
public sealed class VitExperiment : IExperiment
{
    /// <summary>The accuracy bar.</summary>
    public const double AccuracyBar = 0.88;

    /// <inheritdoc />
    public ExperimentInfo Info { get; } = new(
        Id: "vision.vit",
        Family: Family.Vision,
        Title: "A Vision Transformer learns Fashion-MNIST from patches",
        Summary: "28×28 images cut into 4×4 patches (49 tokens + [CLS]), learned positions, 4 pre-LN blocks; test accuracy and attention rollout.",
        Paper: Papers.Dosovitskiy2021,
        Budget: TimeSpan.FromMinutes(6.25),       // full tour under load 2026-12-06: 342 s
        QuickBudget: TimeSpan.FromSeconds(5));

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Quick ? VitSettings.Quick(context.Seed) : VitSettings.Default(context.Seed);
        using var data = FashionImages.Load(context, settings.TrainExamples, settings.TestExamples);
        Seeding.Seed(context.Seed);
        using var model = new Vit(settings.Model);
        var result = context.Result();
        var cache = context.Models.Entry(Info.Id, settings, [data.Manifest]);
        (var history, result.Model) = cache.LoadOrTrain(model, () => VisionTraining.Train(context, model, data, settings.Training, "ViT on Fashion-MNIST", settings.WarmupSteps));
        if (result.Model == ModelOrigin.Reused) context.Progress.Log($"{Info.Id}: reusing the trained model {cache.Key}");

        var (testLoss, accuracy) = ClassifierTrainer.Evaluate(model, data.XTest, data.YTest, 1000);
        result.Metric("test_accuracy", accuracy)
              .Metric("test_loss", testLoss)
              .Metric("train_seconds", history.Epochs.Sum(e => e.Seconds))
              .Metric("epochs", history.Epochs.Count)
              .Metric("train_examples", settings.TrainExamples)
              .Metric("parameters", model.parameters().Sum(p => p.numel()))
              .Metric("patches", settings.Model.Patches);
        if (context.Quick)
            result.ClaimAtLeast("a tiny ViT beats chance (10%) after one quick epoch", accuracy, 0.3);
        else
            result.ClaimAtLeast($"ViT reaches ≥ {AccuracyBar:P0} test accuracy on Fashion-MNIST", accuracy, AccuracyBar);

        VisionTraining.Curves(context, result, history, "ViT");
        Rollout(context, result, model, data);
        result.Note("ViT has no convolution beyond the patch projection: which patches relate is learned by attention. " +
                    "Attention rollout multiplies the per-layer attention (plus the identity for the residual path) to trace the [CLS] token back to the patches.");
        return result;
    }

    private static void Rollout(ExperimentContext context, ExperimentResult result, Vit model, FashionImages data)
    {
        model.eval();
        const int count = 12;
        using var scope = NewDisposeScope();
        var x = data.XTest.narrow(0, 0, count);
        var maps = model.AttentionRollout(x);                                  // (B, g, g)
        var predicted = model.forward(x).argmax(1).data<long>().ToArray();
        var truth = data.YTest.narrow(0, 0, count).data<long>().ToArray();
        int g = model.Config.Grid, pixels = 28 * 28;
        var heat = maps.data<float>().ToArray();
        // Share of rollout mass on patches that hold any ink: attention goes to the garment, not the empty border.
        var images = new List<FigureImage>();
        double onInk = 0;
        for (int i = 0; i < count; i++)
        {
            var raw = data.RawTest.AsSpan(i * pixels, pixels).ToArray();
            var map = heat.AsSpan(i * g * g, g * g).ToArray();
            onInk += InkShare(raw, map, g);
            string caption = $"{FashionMnist.ClassNames[(int)truth[i]]}" + (predicted[i] == truth[i] ? " (right)" : $" → {FashionMnist.ClassNames[(int)predicted[i]]}");
            images.Add(new FigureImage(raw, 1, 28, caption, map, g));
        }

        ImageFigures.Grid(context.OutputFile("attention-rollout.png"), "ViT attention rollout: [CLS] → patches (red = more)", images, 6);
        result.Plot(context.RelativeOutput("attention-rollout.png"), "Attention rollout of the [CLS] token over 12 test images (caption: true class, → prediction when wrong)");
        result.Metric("rollout_mass_on_garment", onInk / count);
    }

    private static double InkShare(float[] raw, float[] map, int g)
    {
        int p = 28 / g;
        double ink = 0, total = 0;
        for (int r = 0; r < g; r++)
        {
            for (int c = 0; c < g; c++)
            {
                bool any = false;
                for (int y = r * p; y < (r + 1) * p && !any; y++)
                    for (int x = c * p; x < (c + 1) * p; x++)
                        if (raw[y * 28 + x] > 0.05f) { any = true; break; }
                total += map[r * g + c];
                if (any) ink += map[r * g + c];
            }
        }

        return total > 0 ? ink / total : 0;
    }
}
