using Lineage.Data.Catalog;
using Lineage.Experiments.Results;

namespace Lineage.Experiments.Tests;

/// <summary>The sequence chapter in quick mode, end to end, and the sequence commands of the CLI.</summary>
public class SequenceChapterTests
{
    /// <summary>Runs the CLI; the output is joined into one line, since the console may wrap long messages.</summary>
    private static (int ExitCode, string Output) Lineage(params string[] args)
    {
        var (code, output) = TestPaths.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "lineage.dll"), .. args]);
        return (code, System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " "));
    }

    [Fact]
    public void QuickChapter_RunsEveryExperiment_AndTheCellClaimsHold()
    {
        if (!TestPaths.Has(DataCatalog.Brown)) return;                    // run-tests fetches it first
        using var dir = new TempFolder();
        var outDir = Path.Combine(dir.Path, "tour");
        var options = new TourOptions(outDir, TestPaths.DataRoot, Seed: 7, Threads: 2, Quick: true, Only: "sequence", Retrain: false);
        var results = TourRunner.Run(options, SilentProgress.Instance, CancellationToken.None);

        Assert.Equal(["sequence.adding", "sequence.bytenet", "sequence.cells", "sequence.vanishing"], results.Experiments.Select(e => e.Id));
        // No errors. On a loaded shared machine an experiment may hit its time limit (2 × budget); that is a timing
        // outcome the tour records, not a defect, so it is allowed here; the claims are what the tour checks.
        Assert.All(results.Experiments, e => Assert.True(e.Status is ExperimentStatus.Passed or ExperimentStatus.Failed
            || (e.Status == ExperimentStatus.Cancelled && e.Error!.Contains("time limit", StringComparison.Ordinal)), $"{e.Id}: {e.Error}"));
        Assert.All(results.Experiments.SelectMany(e => e.Plots), p => Assert.True(File.Exists(Path.Combine(outDir, p.File)), p.File));
        var cells = results.Experiments.Single(e => e.Id == "sequence.cells");
        Assert.Equal(ExperimentStatus.Passed, cells.Status);                   // parity and parameter ratios do not depend on training
        var adding = results.Experiments.Single(e => e.Id == "sequence.adding");
        if (adding.Status != ExperimentStatus.Cancelled) Assert.Equal(9, adding.Tables[0].Rows.Count);   // 3 cells × 3 lengths
        var bytenet = results.Experiments.Single(e => e.Id == "sequence.bytenet");
        if (bytenet.Status != ExperimentStatus.Cancelled)
            Assert.Equal(4, bytenet.Tables.Single(t => t.Title.StartsWith("Samples", StringComparison.Ordinal)).Rows.Count);
    }

    [Fact]
    public void Cli_TrainResumeSample_AndErrorsNameTheProblem()
    {
        if (!TestPaths.Has(DataCatalog.Brown)) return;
        using var dir = new TempFolder();
        string[] tiny = ["--hidden", "16", "--embedding", "8", "--seq-len", "32", "--batch", "2", "--out", dir.Path, "--data", TestPaths.DataRoot, "-q"];
        var (code, output) = Lineage(["gru", "train", "--steps", "3", .. tiny]);
        Assert.True(code == 0, output);
        (code, output) = Lineage(["gru", "train", "--steps", "5", "--resume", .. tiny]);
        Assert.True(code == 0, output);
        Assert.Contains("5 steps", output, StringComparison.Ordinal);
        (code, output) = Lineage("gru", "sample", "--out", dir.Path, "-n", "20", "--prompt", "It was");
        Assert.True(code == 0, output);
        Assert.StartsWith("It was", output, StringComparison.Ordinal);

        (code, output) = Lineage(["gru", "train", "--steps", "6", "--resume", "--hidden", "32", .. tiny[2..]]);
        Assert.Equal(2, code);
        Assert.Contains("Hidden: 16 in the checkpoint, 32 now", output, StringComparison.Ordinal);
        (code, output) = Lineage("lstm", "sample", "--out", dir.Path, "--checkpoint", Path.Combine(dir.Path, "gru", "checkpoint.bin"));
        Assert.Equal(2, code);
        Assert.Contains("holds a GRU model", output, StringComparison.Ordinal);
        (code, output) = Lineage(["bytenet", "train", "--steps", "1", "--seq-len", "99999999", "--out", dir.Path, "--data", TestPaths.DataRoot, "-q"]);
        Assert.Equal(2, code);
        Assert.Contains("Sequence length 99999999", output, StringComparison.Ordinal);
    }
}
