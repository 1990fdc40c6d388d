using Lineage.Data.Catalog;
using Lineage.Experiments.Multimodal;
using Lineage.Experiments.Results;
using Lineage.Experiments.Vision;
using Lineage.Neural.Core;

namespace Lineage.Experiments.Tests;

/// <summary>The vision and multimodal chapters on real data, quick sizes (the real claims are for the default tour).</summary>
public class VisionChapterTests
{
    public VisionChapterTests() => TorchThreads.AtMost(1);

    private static ExperimentResult Run(IExperiment experiment, TempFolder dir) =>
        experiment.Run(new ExperimentContext(experiment.Info, seed: 7, quick: true, new DataStore(TestPaths.DataRoot),
            new ModelCache(Path.Combine(dir.Path, "models")), dir.Path, SilentProgress.Instance, CancellationToken.None));

    [Fact]
    public void Vit_Quick_LearnsAndDrawsAttentionRollout()
    {
        if (!TestPaths.Has(DataCatalog.FashionMnist)) return;
        using var dir = new TempFolder();
        var r = Run(new VitExperiment(), dir);
        Assert.True(r.Metrics["test_accuracy"] > 0.3, $"accuracy {r.Metrics["test_accuracy"]}");
        Assert.All(r.Claims, c => Assert.True(c.Passed, c.Statement));
        Assert.Contains(r.Plots, p => p.File.EndsWith("attention-rollout.png", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(dir.Path, "vision.vit", "attention-rollout.png")));
        Assert.InRange(r.Metrics["rollout_mass_on_garment"], 0, 1);
    }

    [Fact]
    public void Swin_Quick_Trains()
    {
        if (!TestPaths.Has(DataCatalog.FashionMnist)) return;
        using var dir = new TempFolder();
        var r = Run(new SwinExperiment(), dir);
        Assert.True(r.Metrics["test_accuracy"] > 0.3, $"accuracy {r.Metrics["test_accuracy"]}");
        Assert.All(r.Claims, c => Assert.True(c.Passed, c.Statement));
    }

    [Fact]
    public void Complexity_Quick_MeasuresBothModelsAtEverySide()
    {
        using var dir = new TempFolder();
        var r = Run(new ComplexityExperiment(), dir);
        Assert.True(double.IsFinite(r.Metrics["vit_time_exponent"]) && double.IsFinite(r.Metrics["swin_time_exponent"]));
        Assert.Contains(r.Tables, t => t.Title.Contains("forward pass", StringComparison.Ordinal) && t.Rows.Count == 3);
        Assert.True(r.Metrics["vit_forward_ms_112"] > 0);
    }

    [Fact]
    public void DataSize_Quick_TrainsViTAndCnnOnEachFraction()
    {
        if (!TestPaths.Has(DataCatalog.FashionMnist)) return;
        using var dir = new TempFolder();
        var r = Run(new DataSizeExperiment(), dir);
        Assert.InRange(r.Metrics["vit_accuracy_5pct"], 0, 1);
        Assert.InRange(r.Metrics["cnn_accuracy_20pct"], 0, 1);
        Assert.Contains(r.Plots, p => p.File.EndsWith("accuracy-vs-data.png", StringComparison.Ordinal));
        Assert.Equal(2, r.Tables[0].Rows.Count);
        Assert.InRange(r.Metrics["vit_augmented_accuracy_5pct"], 0, 1);              // the ViT again on the smallest set, with shifts and flips
        Assert.Contains(r.Tables, t => t.Title.Contains("augmentation", StringComparison.Ordinal) && t.Rows.Count == 1);
    }

    [Fact]
    public void Clip_Quick_RetrievesAboveChance_AndWritesAModelFolder()
    {
        if (!TestPaths.Has(DataCatalog.Twemoji) || !TestPaths.Has(DataCatalog.GoogleEmoji) || !TestPaths.Has(DataCatalog.FashionMnist)) return;
        using var dir = new TempFolder();
        var r = Run(new ClipExperiment(), dir);
        foreach (var key in new[] { "clip_i2t_r1", "clip_i2t_r5", "clip_t2i_r5", "siglip_i2t_r5", "siglip_category_unseen_subcategory", "clip_fashion_prompt_accuracy" })
            Assert.InRange(r.Metrics[key], 0, 1);
        Assert.True(r.Metrics["unseen_subcategory_emoji"] > 0);
        var folder = Path.Combine(dir.Path, "multimodal.clip", "clip-twemoji");
        Assert.True(File.Exists(Path.Combine(folder, "model.safetensors")) && File.Exists(Path.Combine(folder, "vocab.json")));
    }

    [Fact]
    public void BatchSize_Quick_MeasuresBothLosses()
    {
        if (!TestPaths.Has(DataCatalog.Twemoji) || !TestPaths.Has(DataCatalog.GoogleEmoji)) return;
        using var dir = new TempFolder();
        var r = Run(new BatchSizeExperiment(), dir);
        Assert.InRange(r.Metrics["clip_b16_i2t_r5"], 0, 1);
        Assert.InRange(r.Metrics["siglip_b64_i2t_r5"], 0, 1);
        Assert.True(r.Metrics["clip_loss_peak_mb_256"] >= 0);
    }
}
