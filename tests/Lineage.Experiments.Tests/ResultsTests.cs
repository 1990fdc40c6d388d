using System.Text.Json;
using Lineage.Experiments.Results;

namespace Lineage.Experiments.Tests;

public class ResultsTests
{
    internal static TourResults Sample(string plotFile = "foundations.mlp/curve.png")
    {
        var result = new ExperimentResult().Metric("test_accuracy", 0.86).ClaimAtLeast("accuracy ≥ 80 %", 0.86, 0.8)
            .Plot(plotFile, "a <curve>").Table("t", ["a", "b"], [["1", "2"]]).Note("note & more");
        var record = new ExperimentRecord("foundations.mlp", "foundations", "MLP", "Rumelhart 1986", "https://doi.org/x",
            ExperimentStatus.Passed, 1.5, 180, false, "trained", result.Metrics, result.Claims, result.Plots, result.Tables, result.Notes, null);
        var list = new[] { record };
        return new TourResults(TourResults.CurrentSchema, "0.1.0", DateTime.UnixEpoch, DateTime.UnixEpoch, false, 1337,
            new MachineInfo("Linux", 2, ".NET 10", 2), list, TourResults.Summarise(list));
    }

    [Fact]
    public void Json_UsesTheDocumentedFieldNames()
    {
        // docs/results-schema.md: renaming or removing any of these needs a new schema version.
        using var doc = JsonDocument.Parse(JsonSerializer.Serialize(Sample(), TourResults.Json));
        var root = doc.RootElement;
        Assert.Equal(["schema", "lineageVersion", "startedUtc", "finishedUtc", "quick", "seed", "machine", "experiments", "summary"],
            root.EnumerateObject().Select(p => p.Name));
        var exp = root.GetProperty("experiments")[0];
        Assert.Equal(["id", "family", "title", "paper", "paperUrl", "status", "wallSeconds", "budgetSeconds", "overBudget", "model",
                      "metrics", "claims", "plots", "tables", "notes", "error"], exp.EnumerateObject().Select(p => p.Name));
        Assert.Equal("passed", exp.GetProperty("status").GetString());
        Assert.Equal(["statement", "measured", "threshold", "passed"], exp.GetProperty("claims")[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(0.86, exp.GetProperty("metrics").GetProperty("test_accuracy").GetDouble());
        Assert.Equal(["experiments", "passed", "failed", "errors", "claims", "claimsPassed"],
            root.GetProperty("summary").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void WriteRead_RoundTrips()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "results.json");
        Sample().Write(path);
        var back = TourResults.TryRead(path)!;
        Assert.Equal(ExperimentStatus.Passed, back.Experiments[0].Status);
        Assert.Equal(0.86, back.Experiments[0].Metrics["test_accuracy"]);
        Assert.Equal(1, back.Summary.ClaimsPassed);
    }

    [Fact]
    public void Read_OtherSchema_Throws()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "results.json");
        File.WriteAllText(path, JsonSerializer.Serialize(Sample() with { Schema = "lineage.tour/0" }, TourResults.Json));
        Assert.Throws<InvalidDataException>(() => TourResults.TryRead(path));
    }

    [Fact]
    public void Metric_NotFinite_Throws() =>
        Assert.Throws<ArgumentException>(() => new ExperimentResult().Metric("loss", double.NaN));

    [Fact]
    public void Claims_PassOrFailOnTheirThreshold()
    {
        var r = new ExperimentResult().ClaimAtLeast("a", 0.79, 0.8).ClaimAtMost("b", 59, 60).Claim("c", double.NaN, "any", true);
        Assert.Equal([false, true, false], r.Claims.Select(c => c.Passed));
        Assert.Equal("≥ 0.8", r.Claims[0].Threshold);
    }

    [Fact]
    public void Table_RowOfTheWrongWidth_Throws() =>
        Assert.Throws<ArgumentException>(() => new ExperimentResult().Table("t", ["a", "b"], [["1"]]));
}
