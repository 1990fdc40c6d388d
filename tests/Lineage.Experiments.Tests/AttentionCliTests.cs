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

    /// <summary>
    /// The peaks a user reads grow as the algorithms say: naive attention's (the n × n scores) about 4× from n = 512 to
    /// 1024, the kernel's (inputs' size) about 2×. Measured in the process the user started, every peak before any timing;
    /// when the timed runs came between them, the kernel's n = 256 peak read 9.2 MiB and its 512 one 4.8 MiB (2026-12-07).
    /// </summary>
    [Fact]
    public void AttentionBench_Peaks_GrowQuadraticallyForNaive_AndLinearlyForTheKernel()
    {
        if (!OperatingSystem.IsLinux()) return;                              // VmHWM
        var (code, output) = Lineage("attention", "bench", "--lengths", "512,1024", "--impl", "flash,naive", "--pass", "fwd+bwd", "--mask", "causal", "--repeats", "1");
        Assert.True(code == 0, output);
        double Peak(string impl, int n) => AttentionMemoryText.Bytes(output.Split('\n').First(l => l.StartsWith($"{impl,-6} n={n,-6}", StringComparison.Ordinal)).Split("peak +")[1]);
        double naive = Peak("Naive", 1024) / Peak("Naive", 512), flash = Peak("Flash", 1024) / Peak("Flash", 512);
        Assert.InRange(naive, 3.2, 4.8);
        Assert.InRange(flash, 1.5, 2.6);
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

/// <summary>Reads back a size as <see cref="Lineage.Neural.Attention.AttentionMemory.Format"/> writes it ("13.8 MiB").</summary>
internal static class AttentionMemoryText
{
    public static double Bytes(string text)
    {
        var parts = text.Trim().Split(' ');
        double value = double.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
        return value * parts[1] switch { "B" => 1, "KiB" => 1024, "MiB" => 1 << 20, "GiB" => 1 << 30, _ => throw new FormatException(text) };
    }
}
