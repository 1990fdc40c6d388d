// The inductive-bias claim measured: ViT against a small CNN of similar parameter count, trained on 5%, 20% and 100% of
// Fashion-MNIST with the same optimiser, schedule and number of steps.
using System.Globalization;
using Lineage.Experiments.Report;
using Lineage.Experiments.Results;
using Lineage.Neural.Core.Training;
using Lineage.Neural.Vision;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Experiments.Vision;

/// <summary>What the data-size experiment trains with; part of the model-cache key.</summary>
/// <param name="Vit">The ViT.</param>
/// <param name="Cnn">The CNN.</param>
/// <param name="Fractions">Shares of the 60,000 training images.</param>
/// <param name="Steps">Optimiser steps of every run (equal compute; small subsets are seen for more epochs).</param>
/// <param name="Batch">Images per step.</param>
/// <param name="LearningRate">Peak AdamW learning rate (warm-up 10% of the steps, cosine decay).</param>
/// <param name="TestExamples">Test images.</param>
public sealed record DataSizeSettings(VitConfig Vit, SmallCnnConfig Cnn, double[] Fractions, int Steps, int Batch, double LearningRate, int TestExamples)
{
    /// <summary>The real run.</summary>
    public static DataSizeSettings Default => new(new VitConfig(Patch: 4, Dim: 64, Layers: 4, Heads: 4, MlpRatio: 2), new SmallCnnConfig(),
        [0.05, 0.2, 1.0], Steps: 400, Batch: 64, LearningRate: 2e-3, TestExamples: 10_000);

    /// <summary>Smoke-test sizes.</summary>
    public static DataSizeSettings Quick => new(new VitConfig(Patch: 7, Dim: 32, Layers: 2, Heads: 2, MlpRatio: 2), new SmallCnnConfig(Widths: [8, 16, 16], Hidden: 32),
        [0.05, 0.2], Steps: 15, Batch: 64, LearningRate: 2e-3, TestExamples: 1_000);
}

/// <summary>Accuracy against training-set size for ViT and a CNN of similar size.</summary>
public sealed class DataSizeExperiment : IExperiment
{
    /// <inheritdoc />
    public ExperimentInfo Info { get; } = new(
        Id: "vision.data-size",
        Family: Family.Vision,
        Title: "Without a convolutional prior, ViT needs more data",
        Summary: "ViT and a CNN of similar parameter count trained with equal steps on 5%, 20% and 100% of Fashion-MNIST; test accuracy against data size; " +
                 "and ViT on 5% again with random shifts and flips.",
        Paper: Papers.Dosovitskiy2021,
        Budget: TimeSpan.FromMinutes(2.75),       // fresh-clone tour 2026-12-05: 140 s
        QuickBudget: TimeSpan.FromSeconds(8));

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var s = context.Quick ? DataSizeSettings.Quick : DataSizeSettings.Default;
        using var data = FashionImages.Load(context, (int)Math.Round(60_000 * s.Fractions.Max()), s.TestExamples);
        var result = context.Result();
        var vitAccuracy = new List<double>();
        var cnnAccuracy = new List<double>();
        var rows = new List<IReadOnlyList<string>>();
        bool trained = false;
        double augmentedSmall = double.NaN;
        long vitParameters = 0, cnnParameters = 0;
        foreach (double fraction in s.Fractions)
        {
            int n = (int)Math.Round(60_000 * fraction);
            // A class-balanced prefix would need a sampler; the first n images are close to balanced (Fashion-MNIST is shuffled).
            using var x = data.XTrain.narrow(0, 0, n);
            using var y = data.YTrain.narrow(0, 0, n);
            int epochs = (int)Math.Ceiling((double)s.Steps * s.Batch / n);   // the run stops after s.Steps steps, within the last epoch
            var options = new ClassifierTrainingOptions(Epochs: epochs, BatchSize: s.Batch, LearningRate: s.LearningRate, WeightDecay: 0.05, Seed: context.Seed);
            double Run(string name, nn.Module<Tensor, Tensor> model, ImageAugmentation? augmentation = null)
            {
                var cache = context.Models.Entry($"{Info.Id}.{name}.{fraction.ToString(CultureInfo.InvariantCulture)}", s, [data.Manifest]);
                (_, var origin) = cache.LoadOrTrain(model, () => VisionTraining.Train(context, model, data, options, $"{name} on {fraction:P0} of the data",
                    Math.Max(1, s.Steps / 10), x, y, $"checkpoint-{name}-{fraction.ToString(CultureInfo.InvariantCulture)}.bin", s.Steps, augmentation, epochTestExamples: 1000));
                trained |= origin == ModelOrigin.Trained;
                return ClassifierTrainer.Evaluate(model, data.XTest, data.YTest, 1000).Accuracy;
            }

            Seeding.Seed(context.Seed);
            using var vit = new Vit(s.Vit);
            vitParameters = vit.parameters().Sum(p => p.numel());
            double av = Run("vit", vit);
            Seeding.Seed(context.Seed);
            using var cnn = new SmallCnn(s.Cnn);
            cnnParameters = cnn.parameters().Sum(p => p.numel());
            double ac = Run("cnn", cnn);
            string pct = (100 * fraction).ToString("0", CultureInfo.InvariantCulture);
            vitAccuracy.Add(av);
            cnnAccuracy.Add(ac);
            if (fraction == s.Fractions[0])
            {
                // The same ViT and steps on the smallest set, each batch randomly shifted by up to 2 pixels and half of it
                // mirrored: augmentation as a stand-in for the prior a convolution has built in (DeiT's recipe, Touvron et al. 2021).
                Seeding.Seed(context.Seed);
                using var augmented = new Vit(s.Vit);
                augmentedSmall = Run("vit-augmented", augmented, new ImageAugmentation(Pad: 2, Flip: true));
                result.Metric($"vit_augmented_accuracy_{pct}pct", augmentedSmall);
            }

            result.Metric($"vit_accuracy_{pct}pct", av).Metric($"cnn_accuracy_{pct}pct", ac);
            rows.Add([$"{fraction:P0}", n.ToString("N0", CultureInfo.InvariantCulture), ((double)s.Steps * s.Batch / n).ToString("0.0#", CultureInfo.InvariantCulture),
                av.ToString("P1", CultureInfo.InvariantCulture), ac.ToString("P1", CultureInfo.InvariantCulture), (ac - av).ToString("+0.0%;-0.0%", CultureInfo.InvariantCulture)]);
        }

        result.Model = trained ? ModelOrigin.Trained : ModelOrigin.Reused;
        result.Metric("vit_parameters", vitParameters).Metric("cnn_parameters", cnnParameters);
        result.Table($"Test accuracy after {s.Steps} steps of {s.Batch} images at each data size (ViT {vitParameters:N0} parameters, CNN {cnnParameters:N0})",
            ["training data", "images", "epochs", "ViT", "CNN", "CNN − ViT"], rows);
        result.Table($"ViT on {s.Fractions[0]:P0} of the data, with and without augmentation (random shifts of up to 2 pixels, half the batch mirrored; same steps)",
            ["ViT", "ViT + augmentation", "CNN"],
            [[vitAccuracy[0].ToString("P1", CultureInfo.InvariantCulture), augmentedSmall.ToString("P1", CultureInfo.InvariantCulture), cnnAccuracy[0].ToString("P1", CultureInfo.InvariantCulture)]]);
        var xs = s.Fractions.Select(f => Math.Log10(60_000 * f)).ToList();
        Plots.Lines(context.OutputFile("accuracy-vs-data.png"), "Test accuracy vs training-set size (equal steps)", "log10 training images", "test accuracy",
            new Series("ViT (patches, no convolutional prior)", xs, vitAccuracy), new Series("small CNN (locality built in)", xs, cnnAccuracy));
        result.Plot(context.RelativeOutput("accuracy-vs-data.png"), "ViT vs a CNN of similar size trained on 5%, 20% and 100% of Fashion-MNIST");
        double gapSmall = cnnAccuracy[0] - vitAccuracy[0], gapLarge = cnnAccuracy[^1] - vitAccuracy[^1];
        result.Metric("gap_smallest", gapSmall).Metric("gap_largest", gapLarge);
        if (!context.Quick)
        {
            // Expected from the paper (§4.3) and small-data ViT studies: the CNN leads at 5%, by less at 100%; not yet calibrated over seeds here.
            result.ClaimAtLeast("with 5% of the data the CNN beats ViT (accuracy points)", gapSmall, 0.0)
                  .Claim("the CNN's lead shrinks from 5% to 100% of the data (gap at 5% minus gap at 100%)", gapSmall - gapLarge, "> 0", gapSmall > gapLarge);
        }

        if (double.IsFinite(augmentedSmall))
        {
            // Reported, not claimed: measured once (2026-11-25), augmentation cost ViT 6.6 points at this budget (77.5 → 70.9 %).
            result.Metric("augmentation_gain_smallest", augmentedSmall - vitAccuracy[0]);
            result.Note($"Augmentation on {s.Fractions[0]:P0} of the data: {vitAccuracy[0]:P1} without, {augmentedSmall:P1} with. In {s.Steps} steps ({(double)s.Steps * s.Batch / (60_000 * s.Fractions[0]):0.#} epochs) " +
                        "augmentation did not help: shifted and mirrored copies make each step's task harder, and any protection against memorising the " +
                        $"{60_000 * s.Fractions[0]:N0} images would have to show over longer training (DeiT trains for 300 epochs), which this tour does not measure.");
        }

        return result;
    }
}
