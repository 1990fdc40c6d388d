using Lineage.Experiments.Report;

namespace Lineage.Experiments.Tests;

public class ReportTests
{
    private static void WritePng(string path) =>
        Plots.Lines(path, "t", "x", "y", new Series("s", [1, 2, 3], [1, 4, 9]));

    [Fact]
    public void Render_HasEveryChapterAndEscapesText()
    {
        using var dir = new TempFolder();
        var html = HtmlReport.Render(ResultsTests.Sample(), dir.Path);
        Assert.All(Families.All, f => Assert.Contains($"id=\"{f.Slug}\"", html, StringComparison.Ordinal));
        Assert.Contains("a &lt;curve&gt;", html, StringComparison.Ordinal);
        Assert.Contains("note &amp; more", html, StringComparison.Ordinal);
        Assert.Contains("accuracy ≥ 80 %", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_ExistingPlot_IsEmbedded()
    {
        using var dir = new TempFolder();
        WritePng(Path.Combine(dir.Path, "foundations.mlp", "curve.png"));
        Assert.Contains("src=\"data:image/png;base64,", HtmlReport.Render(ResultsTests.Sample(), dir.Path), StringComparison.Ordinal);
    }

    [Fact]
    public void CheckReport_InChromium_PassesAGoodPageAndFailsOnAMissingImage()
    {
        if (TestPaths.Chromium() is null) return;   // run-tests installs Chromium on Debian; elsewhere this check needs it installed
        var script = Path.Combine(TestPaths.Repository, "tools", "check-report.sh");
        using var good = new TempFolder();
        WritePng(Path.Combine(good.Path, "foundations.mlp", "curve.png"));
        HtmlReport.Write(ResultsTests.Sample(), good.Path);
        var ok = TestPaths.Run(script, Path.Combine(good.Path, "index.html"));
        Assert.True(ok.ExitCode == 0, ok.Output);
        Assert.Contains("all 1 images", ok.Output, StringComparison.Ordinal);

        using var bad = new TempFolder();                                   // the plot file was never written
        HtmlReport.Write(ResultsTests.Sample(), bad.Path);
        var broken = TestPaths.Run(script, Path.Combine(bad.Path, "index.html"));
        Assert.Equal(1, broken.ExitCode);
        Assert.Contains("foundations.mlp/curve.png", broken.Output, StringComparison.Ordinal);
    }
}
