namespace Lineage.Experiments.Tests;

/// <summary><c>lineage longctx</c> as a user runs it.</summary>
public class LongContextCliTests
{
    private static (int ExitCode, string Output) Lineage(params string[] args) =>
        TestPaths.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "lineage.dll"), .. args]);

    [Fact]
    public void Bench_MeasuresEachLength_SkipsWhatWouldNotFit_AndFitsTheExponent()
    {
        var (code, output) = Lineage("longctx", "bench", "--mixer", "full", "--lengths", "128,256,4096", "--memory-cap-mib", "64");
        Assert.Equal(0, code);
        Assert.Contains("memory: needs", output, StringComparison.Ordinal);     // 4096 written out needs ≈ 1 GiB
        Assert.Contains("time ∝ n^", output, StringComparison.Ordinal);
    }

    [Fact]
    public void BadInput_UnknownMixer_BadLengths_NonCausalLm_ExitWith2()
    {
        var (code, output) = Lineage("longctx", "bench", "--mixer", "lstm");
        Assert.Equal(2, code);
        Assert.Contains("known: full, longformer", output, StringComparison.Ordinal);
        (code, output) = Lineage("longctx", "bench", "--mixer", "hyena", "--lengths", "64,x");
        Assert.Equal(2, code);
        Assert.Contains("'x'", output, StringComparison.Ordinal);
        using var dir = new TempFolder();
        (code, output) = Lineage("longctx", "train", "--mixer", "linformer", "--out", dir.Path, "--data", dir.Path);
        Assert.Equal(2, code);
        Assert.Contains("causal", output, StringComparison.Ordinal);
    }
    [Fact]
    public void Recall_TrainsAndPrintsAccuracy_AsJsonToo_AndRefusesBadSizes()
    {
        var (code, output) = Lineage("longctx", "recall", "--mixer", "mamba", "--task", "induction", "--seq-len", "16", "--width", "16",
            "--steps", "3", "--batch", "4", "--eval", "8", "--json");
        Assert.Equal(0, code);
        Assert.Contains("\"accuracy\":", output, StringComparison.Ordinal);
        Assert.Contains("\"mixer\":\"mamba\"", output, StringComparison.Ordinal);
        (code, output) = Lineage("longctx", "recall", "--mixer", "full", "--task", "mqar", "--seq-len", "32", "--width", "16", "--steps", "2", "--batch", "2", "--eval", "4");
        Assert.Equal(0, code);
        Assert.Contains("accuracy", output, StringComparison.Ordinal);
        Assert.Contains("chance 0.0002", output, StringComparison.Ordinal);     // 1 in 4,096 values
        (code, output) = Lineage("longctx", "recall", "--task", "mqar", "--seq-len", "63");
        Assert.Equal(2, code);
        Assert.Contains("even", output, StringComparison.Ordinal);
        (code, output) = Lineage("longctx", "recall", "--task", "copy");
        Assert.Equal(2, code);
        Assert.Contains("known: mqar", output, StringComparison.Ordinal);
    }

    [Fact]
    public void RecallGrid_PlotsAndTabulatesWhatRecallPrinted_AndNamesABadLine()
    {
        using var dir = new TempFolder();
        var jsonl = Path.Combine(dir.Path, "recall.jsonl");
        foreach (var width in new[] { "8", "16" })
        {
            var (run, printed) = Lineage("longctx", "recall", "--mixer", "full", "--task", "mqar", "--seq-len", "32", "--width", width,
                "--steps", "2", "--batch", "2", "--eval", "4", "--vocab", "64", "--json");
            Assert.True(run == 0, printed);
            File.AppendAllText(jsonl, printed.Trim().Split('\n')[^1] + "\n");
        }

        var (code, output) = Lineage("longctx", "recall-grid", "--from", jsonl, "-o", dir.Path);
        Assert.True(code == 0, output);
        Assert.Contains("2 cells", output, StringComparison.Ordinal);
        var folder = Path.Combine(dir.Path, "recall-grid");
        Assert.True(new FileInfo(Path.Combine(folder, "mqar-n32.png")).Length > 1000);
        var table = File.ReadAllLines(Path.Combine(folder, "recall.md"));
        Assert.Equal(4, table.Length);                                     // header, rule, two cells
        Assert.StartsWith("| mqar | full | MLP, positions | 32 | 8 |", table[2], StringComparison.Ordinal);
        Assert.Contains("| 3.0e-3 (1) |", table[2], StringComparison.Ordinal);          // the rate, and how many were tried

        File.AppendAllText(jsonl, "{\"task\":\"mqar\",\"mixer\":\"full\",\"width\":8,\"length\":32,\"accuracy\":1.5}\n");
        (code, output) = Lineage("longctx", "recall-grid", "--from", jsonl, "-o", dir.Path);
        Assert.Equal(2, code);
        Assert.Contains("recall.jsonl:3: not a recall result", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public void RecallGrid_KeepsTheBestLearningRate_AndARerunReplacesItsRate()
    {
        static global::Lineage.Neural.LongContext.RecallResult Cell(double rate, double accuracy) =>
            new("mqar", "mamba", 64, 64, true, accuracy, 0.004, 1, 600, 19200, 1000, 10, rate);
        var best = Assert.Single(global::Lineage.Experiments.LongContext.RecallGrid.Best([Cell(1e-3, 0.2), Cell(1e-2, 0.6), Cell(3e-2, 0.4)]));
        Assert.Equal(1e-2, best.LearningRate);
        best = Assert.Single(global::Lineage.Experiments.LongContext.RecallGrid.Best([Cell(1e-3, 0.2), Cell(1e-2, 0.6), Cell(1e-2, 0.1)]));
        Assert.Equal(1e-3, best.LearningRate);                                   // the rerun at 1e-2 (0.1) replaced its 0.6
    }
}
