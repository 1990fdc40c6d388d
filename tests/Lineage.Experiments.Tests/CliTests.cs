namespace Lineage.Experiments.Tests;

/// <summary>The `lineage` executable as a user runs it (the built CLI beside the tests).</summary>
public class CliTests
{
    private static (int ExitCode, string Output) Lineage(params string[] args) =>
        TestPaths.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "lineage.dll"), .. args]);

    [Fact]
    public void Help_ListsTheCommands()
    {
        var (code, output) = Lineage("--help");
        Assert.Equal(0, code);
        Assert.Contains("tour", output, StringComparison.Ordinal);
        Assert.Contains("data", output, StringComparison.Ordinal);
        Assert.Contains("--seed", output, StringComparison.Ordinal);
    }

    [Fact]
    public void TourList_ShowsExperimentsAndTheTotalBudget()
    {
        var (code, output) = Lineage("tour", "--list");
        Assert.Equal(0, code);
        Assert.Contains("foundations.mlp", output, StringComparison.Ordinal);
        Assert.Contains("Total budget", output, StringComparison.Ordinal);
    }

    [Fact]
    public void BadFiles_GiveOneLine_Exit2_NoStackTrace_AndControlCharactersEscaped()
    {
        // Issue 29: one error boundary; text from a hostile file must not reach the terminal raw.
        using var dir = new TempFolder();
        var vectors = Path.Combine(dir.Path, "evil.vec");
        File.WriteAllText(vectors, "2 2\nok 1 2\n\u001b]0;pwned\u0007 1 x\n");
        var (code, output) = Lineage("vectors", "similar", vectors, "ok");
        Assert.Equal(2, code);
        Assert.Contains("is not a number", output, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', output);
        Assert.DoesNotContain('\u0007', output);
        Assert.Contains("\\u001b", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);

        var weights = Path.Combine(dir.Path, "m");
        Directory.CreateDirectory(weights);
        File.WriteAllText(Path.Combine(weights, "config.json"), "[1, 2]");
        (code, output) = Lineage("gpt", "eval", "--model", weights);
        Assert.Equal(2, code);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public void TourOnly_UnknownId_ExitsWith2AndNamesTheKnownIds()
    {
        var (code, output) = Lineage("tour", "--only", "nope", "--out", Path.GetTempPath());
        Assert.Equal(2, code);
        Assert.Contains("No experiment 'nope'", output, StringComparison.Ordinal);
    }

    [Fact]
    public void DataList_ShowsEveryDataSetAndItsLicence()
    {
        using var empty = new TempFolder();
        var (code, output) = Lineage("data", "list", "--data", empty.Path);
        Assert.Equal(0, code);
        Assert.Contains("fashion-mnist", output, StringComparison.Ordinal);
        Assert.Contains("not fetched", output, StringComparison.Ordinal);
        Assert.Contains("MIT", output, StringComparison.Ordinal);
    }

    [Fact]
    public void DataFetch_UnknownId_ExitsWith2()
    {
        using var empty = new TempFolder();
        var (code, output) = Lineage("data", "fetch", "nope", "--data", empty.Path);
        Assert.Equal(2, code);
        Assert.Contains("Unknown data set 'nope'", output, StringComparison.Ordinal);
    }
}
