namespace Lineage.Experiments.Tests;

/// <summary>`lineage attention bench` as a user runs it: a tiny run, and bad input named in the error.</summary>
public class AttentionCliTests
{
    private static (int ExitCode, string Output) Lineage(params string[] args) =>
        TestPaths.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "lineage.dll"), .. args]);

    [Fact]
    public void AttentionBench_TinyRun_PrintsEachImplementationAndTheRatio()
    {
        var (code, output) = Lineage("attention", "bench", "--lengths", "128", "--pass", "fwd+bwd", "--mask", "causal", "--repeats", "1", "--heads", "2", "--phases");
        Assert.Equal(0, code);
        Assert.Contains("Flash  n=128", output, StringComparison.Ordinal);
        Assert.Contains("Sdpa   n=128", output, StringComparison.Ordinal);
        Assert.Contains("Naive  n=128", output, StringComparison.Ordinal);
        Assert.Contains("SDPA time / FlashAttention time", output, StringComparison.Ordinal);
        Assert.Contains("fp32 matmul ceiling (2048²", output, StringComparison.Ordinal);
        Assert.Contains("% of the ceiling)", output, StringComparison.Ordinal);
        Assert.Contains("BackwardDk", output, StringComparison.Ordinal);              // --phases: one line per phase
        Assert.Contains("GFLOP/s per core", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--lengths", "0", "n = 0")]
    [InlineData("--pass", "sideways", "--pass must be")]
    [InlineData("--impl", "cuda", "Unknown implementation 'cuda'")]
    [InlineData("--kv-heads", "3", "--kv-heads must divide --heads")]
    public void AttentionBench_BadInput_ExitsWith2AndSaysWhy(string option, string value, string message)
    {
        var (code, output) = Lineage("attention", "bench", option, value);
        Assert.Equal(2, code);
        Assert.Contains(message, output, StringComparison.Ordinal);
    }
}
