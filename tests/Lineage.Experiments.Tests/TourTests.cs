using Lineage.Data.Catalog;
using Lineage.Experiments.Results;

namespace Lineage.Experiments.Tests;

/// <summary>The tour end to end on real Fashion-MNIST, in quick mode (seconds).</summary>
public class TourTests
{
    private static TourOptions Options(string outDir, bool retrain = false) =>
        new(outDir, TestPaths.DataRoot, Seed: 7, Threads: 2, Quick: true, Only: "foundations.mlp", Retrain: retrain);

    [Fact]
    public void QuickTour_TrainsThenReuses_AndWritesTheReport()
    {
        if (!TestPaths.Has(DataCatalog.FashionMnist)) return;        // run-tests fetches it first
        using var dir = new TempFolder();
        var outDir = Path.Combine(dir.Path, "tour");

        var first = TourRunner.Run(Options(outDir, retrain: true), SilentProgress.Instance, CancellationToken.None);
        var mlp = Assert.Single(first.Experiments);
        Assert.True(mlp.Status is ExperimentStatus.Passed or ExperimentStatus.Failed, mlp.Error);
        Assert.True(first.Quick);
        Assert.Equal("trained", mlp.Model);
        Assert.InRange(mlp.Metrics["test_accuracy"], 0.70, 1.0);     // 10,000 images, 2 epochs: about 0.82
        Assert.Equal(2, mlp.Claims.Count);
        Assert.All(mlp.Plots, p => Assert.True(File.Exists(Path.Combine(outDir, p.File)), p.File));
        Assert.True(File.Exists(Path.Combine(outDir, "index.html")));
        Assert.Equal(first.Experiments[0].Metrics["test_accuracy"], TourResults.TryRead(Path.Combine(outDir, "results.json"))!.Experiments[0].Metrics["test_accuracy"]);

        var second = TourRunner.Run(Options(outDir), SilentProgress.Instance, CancellationToken.None);
        Assert.Equal("reused", second.Experiments[0].Model);
        Assert.Equal(mlp.Metrics["test_accuracy"], second.Experiments[0].Metrics["test_accuracy"]);

        if (TestPaths.Chromium() is null) return;
        var check = TestPaths.Run(Path.Combine(TestPaths.Repository, "tools", "check-report.sh"), Path.Combine(outDir, "index.html"));
        Assert.True(check.ExitCode == 0, check.Output);
    }

    [Fact]
    public void Tour_CancelledBeforeItStarts_RecordsCancelledAndStillWritesResults()
    {
        if (!TestPaths.Has(DataCatalog.FashionMnist)) return;
        using var dir = new TempFolder();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var results = TourRunner.Run(Options(dir.Path, retrain: true), SilentProgress.Instance, cts.Token);
        Assert.Equal(ExperimentStatus.Cancelled, Assert.Single(results.Experiments).Status);
        Assert.NotNull(TourResults.TryRead(Path.Combine(dir.Path, "results.json")));
    }
}
