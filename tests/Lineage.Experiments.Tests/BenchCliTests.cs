using Lineage.Experiments.Report;

namespace Lineage.Experiments.Tests;

/// <summary>`lineage bench tasks` as a user runs it: bad probe settings are named in a one-line error before any data is read.</summary>
public class BenchCliTests
{
    private static (int ExitCode, string Output) Lineage(params string[] args) =>
        TestPaths.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "lineage.dll"), .. args]);

    [Theory]
    [InlineData("--probe-l2", "-1", "--probe-l2 must be finite and ≥ 0")]
    public void BenchTasks_BadProbeSettings_ExitWith2AndSayWhy(string option, string value, string message)
    {
        var (code, output) = Lineage("bench", "tasks", "--task", "spam", option, value);
        Assert.Equal(2, code);
        Assert.Contains(message, output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }
}

/// <summary>`lineage bench scale-plot`: bench/scale/run.sh's lines become plots and a table; bad lines are named.</summary>
public class ScalePlotTests
{
    private static (int ExitCode, string Output) Lineage(params string[] args) =>
        TestPaths.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "lineage.dll"), .. args]);

    [Fact]
    public void Exponent_OfAPowerLaw_IsItsPower()
    {
        double[] n = [1024, 2048, 4096, 8192];
        Assert.Equal(2.0, ScaleReport.Exponent(n, [.. n.Select(v => 3e-6 * v * v)]), 9);
        Assert.Equal(1.0, ScaleReport.Exponent(n, [.. n.Select(v => 0.5 * v)]), 9);
        Assert.True(double.IsNaN(ScaleReport.Exponent([1], [1])));
    }

    [Fact]
    public void ScalePlot_WritesEachFamilysPlotsAndTable_AndNamesABadLine()
    {
        using var dir = new TempFolder();
        var jsonl = Path.Combine(dir.Path, "scale.jsonl");
        var lines = new List<string>();
        foreach (var (s, wall, peak) in new[] { (1, 1.1, 141.0), (4, 2.6, 152.0), (16, 5.7, 166.0) })
        {
            lines.Add($$"""{"what":"tfidf","tool":"lineage","mode":"report","scale":{{s}},"input_mb":{{34.1 * s}},"wall_s":{{wall}},"cpu_s":{{wall}},"peak_mib":{{peak}},"machine":"test"}""");
            lines.Add($$"""{"what":"tfidf","tool":"sklearn","mode":"in-process","scale":{{s}},"input_mb":{{34.1 * s}},"wall_s":{{wall * 9}},"cpu_s":1,"peak_mib":{{peak * s}},"fit_transform_s":{{wall * 3}},"machine":"test"}""");
            lines.Add($$"""{"what":"word2vec","tool":"lineage","scale":{{s}},"words":{{8_600_000 * s}},"epochs":1,"threads":2,"wall_s":{{wall * 10}},"cpu_s":1,"peak_mib":{{peak}},"machine":"test"}""");
        }

        foreach (int n in new[] { 1024, 4096, 16384 })
        {
            lines.Add($$"""{"what":"attention","tool":"flash","pass":"fwd","n":{{n}},"heads":2,"ms":{{n * (double)n / 1e6}},"gflops":80,"peak_mib":{{n / 1024.0}},"machine":"test"}""");
        }

        lines.Add("""{"what":"gpt","tool":"lineage","batch":16,"context":192,"steps":12,"wall_s":3,"cpu_s":3,"peak_mib":190,"tokens_per_s":16000,"machine":"test"}""");
        File.WriteAllLines(jsonl, lines);
        var (code, output) = Lineage("bench", "scale-plot", jsonl, "--out", dir.Path, "-q");
        Assert.True(code == 0, output);
        var folder = Path.Combine(dir.Path, "scale");
        foreach (var png in new[] { "tfidf-time.png", "tfidf-memory.png", "word2vec-time.png", "attention-time.png", "gpt-batch.png" })
        {
            Assert.True(new FileInfo(Path.Combine(folder, png)).Length > 1000, png);
        }

        var md = File.ReadAllText(Path.Combine(folder, "scale.md"));
        Assert.Contains("| flash | fwd | 2.00 | 1.00 |", md, StringComparison.Ordinal);   // the exponents of n² time and n memory
        Assert.Contains("| sklearn | in-process (fit_transform) |", md, StringComparison.Ordinal);

        File.AppendAllText(jsonl, "not json\n");
        (code, output) = Lineage("bench", "scale-plot", jsonl, "--out", dir.Path);
        Assert.Equal(2, code);
        Assert.Contains("scale.jsonl:14: not JSON", output.ReplaceLineEndings(""), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }
}
