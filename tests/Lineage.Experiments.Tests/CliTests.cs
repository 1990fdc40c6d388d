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
