using Lineage.Data.Catalog;
using Lineage.Experiments.LongContext;
using Lineage.Experiments.Results;

namespace Lineage.Experiments.Tests;

/// <summary>The long-context chapter on the Treasury of David, quick sizes (the real claims are checked by the tour).</summary>
public class LongContextChapterTests
{
    private static ExperimentResult RunQuick(IExperiment experiment, TempFolder dir) =>
        TourRunner.RunOne(experiment, new ExperimentContext(experiment.Info, seed: 1, quick: true, new DataStore(TestPaths.DataRoot),
            new ModelCache(Path.Combine(dir.Path, "models")), dir.Path, SilentProgress.Instance, CancellationToken.None));

    [Fact]
    public void Exactness_EveryFastPathEqualsItsReference_OnRealText()
    {
        if (!TestPaths.Has(DataCatalog.TreasuryOfDavid)) return;
        using var dir = new TempFolder();
        var r = RunQuick(new ExactnessExperiment(), dir);
        Assert.All(r.Claims, c => Assert.True(c.Passed, c.Statement));
        Assert.InRange(r.Metrics["max_difference"], 0, 1e-5);
        Assert.Equal(2, r.Tables.Count);
    }

    [Fact]
    public void Scaling_Quick_MeasuresEveryMixer_AndFitsExponents()
    {
        if (!TestPaths.Has(DataCatalog.TreasuryOfDavid)) return;
        using var dir = new TempFolder();
        var r = RunQuick(new ScalingExperiment(), dir);
        Assert.All(r.Claims, c => Assert.True(c.Passed, c.Statement));
        foreach (var name in new[] { "full", "longformer", "bigbird", "reformer", "linformer", "hyena", "mamba" })
            Assert.True(r.Metrics.ContainsKey($"exponent_{name}"), name);
        Assert.Single(r.Plots);
    }

    [Fact]
    public void LanguageModels_Quick_TrainEveryCausalMixer_AndReportNeedleRecall()
    {
        if (!TestPaths.Has(DataCatalog.TreasuryOfDavid)) return;
        using var dir = new TempFolder();
        var r = RunQuick(new LanguageModelExperiment(), dir);
        Assert.All(r.Claims, c => Assert.True(c.Passed, c.Statement));
        foreach (var kind in LanguageModelExperiment.Mixers)
            Assert.InRange(r.Metrics[$"bits_per_byte_{kind}"], 0, 8);
        Assert.DoesNotContain(r.Metrics.Keys, k => k.Contains("linformer", StringComparison.Ordinal));
        Assert.Equal(ModelOrigin.Trained, r.Model);
    }

    [Fact]
    public void Recall_Quick_TrainsEveryCell_EachMixerInZoologysBlock()
    {
        using var dir = new TempFolder();
        var r = RunQuick(new RecallExperiment(), dir);
        Assert.All(r.Claims, c => Assert.True(c.Passed, c.Statement));
        foreach (var (mixer, n) in RecallSettings.Quick.MqarCells)
            Assert.InRange(r.Metrics[$"mqar_accuracy_{mixer}_n{n}_c16"], 0, 1);
        Assert.InRange(r.Metrics["copy_accuracy_mamba"], 0, 1);
        var table = Assert.Single(r.Tables, t => t.Title.StartsWith("Held-out accuracy", StringComparison.Ordinal));
        Assert.Contains(table.Rows, row => row[0] == "mamba" && row[1] == "no MLP");               // Mamba alone, as its paper's blocks
        Assert.Contains(table.Rows, row => row[0] == "full" && row[1] == "conv 3, MLP");            // attention after BaseConv's convolution
        Assert.DoesNotContain(table.Rows, row => row[1].Contains("positions", StringComparison.Ordinal));
        Assert.Equal(new[] { 32, 64 }, RecallSettings.Default.MqarCells.Where(c => c.Mixer == "mamba").Select(c => c.N));
    }
}
