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
