// The side-by-side run behind `lineage attention bench` and the tour's speed and memory claims: the FlashAttention kernel,
// libtorch's scaled_dot_product_attention and written-out attention on the same inputs, forward or forward + backward,
// timed (best of a few runs) and with the peak resident memory each adds above its inputs.
// Peak memory: Linux's VmHWM (the process's high-water mark) over the first run, reset before it by writing 5 to
// /proc/self/clear_refs (PeakMemory.Measure); it counts libtorch's and .NET's allocations alike. Where that is unavailable the peak is reported as unknown (−1).
using System.Diagnostics;
using System.Globalization;
using Lineage.Neural.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Attention;

/// <summary>One measurement.</summary>
/// <param name="Implementation">What ran: a registered kernel (<see cref="AttentionKernel.All"/>), timed through <see cref="AttentionKernel.Benchmarked"/>.</param>
/// <param name="Length">n (queries = keys).</param>
/// <param name="Causal">Causal mask.</param>
/// <param name="Backward">Forward + backward (else forward only).</param>
/// <param name="Seconds">Best wall time of the runs; NaN when refused.</param>
/// <param name="GflopsPerSecond">Useful FLOPs (<see cref="FlashAttention.ForwardFlops"/>) per second.</param>
/// <param name="PeakBytes">Peak resident memory added by the run above the inputs; −1 when unknown.</param>
/// <param name="Refused">Why it did not run (the memory estimate), or null.</param>
public sealed record AttentionMeasurement(AttentionKernel Implementation, int Length, bool Causal, bool Backward, double Seconds,
                                          double GflopsPerSecond, long PeakBytes, string? Refused);

/// <summary>Times and measures the memory of attention implementations side by side (fp32, CPU).</summary>
public static class AttentionBenchmark
{
    /// <summary>Runs <paramref name="implementation"/> on random q, k, v (B, H, n, D) and reports the best of <paramref name="repeats"/> runs.</summary>
    /// <remarks><paramref name="kvHeads"/> below <paramref name="heads"/> is grouped-query attention (0: as many as the query heads); kernels other
    /// than FlashAttention get k and v repeated to every query head before the timing.
    /// Without <paramref name="peak"/> the first run measures the peak (<see cref="Peak"/>) and counts as a timed run too; with it
    /// (measured beforehand) every run is timed on kept memory. A process that times and measures peaks alike should measure
    /// every peak first: a timed run leaves its blocks in the heap's free lists, and a later peak pass served from them counts
    /// blocks that stay resident after they are freed.</remarks>
    public static AttentionMeasurement Measure(AttentionKernel implementation, int batch, int heads, int length, int headDim, bool causal, bool backward,
                                               int repeats = 2, int seed = 1, int kvHeads = 0, long? peak = null)
    {
        ArgumentNullException.ThrowIfNull(implementation);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        double flops = backward ? FlashAttention.ForwardBackwardFlops(batch, heads, length, length, headDim, causal)
                                : FlashAttention.ForwardFlops(batch, heads, length, length, headDim, causal);
        using var scope = NewDisposeScope();
        var (q, k, v, dOut) = Inputs(implementation, batch, heads, kvHeads, length, headDim, seed);

        double best = double.PositiveInfinity;
        long measured = peak ?? -1;
        try
        {
            Collect();
            var clock = Stopwatch.StartNew();
            int timed = 0;
            if (peak is null)
            {
                // The first run measures the peak with freed memory leaving the resident set at once (PeakMemory.Measure);
                // the others run on kept memory, as a training loop does, so page faults do not count as attention time.
                measured = PeakMemory.Measure(() => RunOnce(implementation, q, k, v, dOut, causal, backward));
                best = clock.Elapsed.TotalSeconds;
                timed = 1;
            }

            using var retained = PeakMemory.Retained();
            for (; timed < repeats; timed++)
            {
                clock.Restart();
                RunOnce(implementation, q, k, v, dOut, causal, backward);
                best = Math.Min(best, clock.Elapsed.TotalSeconds);
            }
        }
        catch (InsufficientMemoryException e)
        {
            return new AttentionMeasurement(implementation, length, causal, backward, double.NaN, double.NaN, -1, e.Message);
        }

        return new AttentionMeasurement(implementation, length, causal, backward, best, flops / best / 1e9, measured, null);
    }

    /// <summary>
    /// The peak resident memory one run of <paramref name="implementation"/> adds above its inputs (<see cref="PeakMemory.Measure"/>),
    /// on the same random inputs as <see cref="Measure"/>; −1 when unknown or refused.
    /// </summary>
    public static long Peak(AttentionKernel implementation, int batch, int heads, int length, int headDim, bool causal, bool backward, int seed = 1, int kvHeads = 0)
    {
        ArgumentNullException.ThrowIfNull(implementation);
        using var scope = NewDisposeScope();
        var (q, k, v, dOut) = Inputs(implementation, batch, heads, kvHeads, length, headDim, seed);
        try
        {
            Collect();
            return PeakMemory.Measure(() => RunOnce(implementation, q, k, v, dOut, causal, backward));
        }
        catch (InsufficientMemoryException)
        {
            return -1;
        }
    }

    private static void Collect()
    {
        GC.Collect();                                      // finalisers free earlier tensors now, not during the measurement
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    /// <summary>
    /// One more run of <paramref name="implementation"/> (a FlashAttention kernel; others record nothing) on the same
    /// random inputs as <see cref="Measure"/>, with <see cref="FlashPhases"/> on: CPU time and FLOPs per phase.
    /// </summary>
    public static IReadOnlyList<FlashPhaseTime> Phases(AttentionKernel implementation, int batch, int heads, int length, int headDim, bool causal, bool backward, int seed = 1, int kvHeads = 0)
    {
        ArgumentNullException.ThrowIfNull(implementation);
        using var scope = NewDisposeScope();
        var (q, k, v, dOut) = Inputs(implementation, batch, heads, kvHeads, length, headDim, seed);
        using var retained = PeakMemory.Retained();
        RunOnce(implementation, q, k, v, dOut, causal, backward);      // warm: the timed run reuses its memory
        FlashPhases.Reset();
        FlashPhases.Enabled = true;
        try
        {
            RunOnce(implementation, q, k, v, dOut, causal, backward);
        }
        finally
        {
            FlashPhases.Enabled = false;
        }

        return FlashPhases.Snapshot();
    }

    /// <summary>
    /// The phases as lines: CPU milliseconds (summed over threads), share of the kernel's CPU time, and for the tile
    /// products GFLOP/s per core and its fraction of the ceiling per core (<paramref name="ceiling"/> / <paramref name="threads"/>).
    /// </summary>
    public static IEnumerable<string> FormatPhases(IReadOnlyList<FlashPhaseTime> phases, double ceiling, int threads)
    {
        ArgumentNullException.ThrowIfNull(phases);
        double total = phases.Sum(x => x.CpuSeconds);
        double perCore = ceiling / Math.Max(1, threads);
        foreach (var x in phases.Where(x => x.CpuSeconds > 0))
        {
            string rate = double.IsFinite(x.GflopsPerCore)
                ? string.Create(CultureInfo.InvariantCulture, $"  {x.GflopsPerCore,6:0.0} GFLOP/s per core ({x.GflopsPerCore / perCore * 100,3:0} % of the ceiling per core)")
                : "";
            yield return string.Create(CultureInfo.InvariantCulture, $"    {x.Phase,-15} {x.CpuSeconds * 1000,9:0.0} CPU ms {x.CpuSeconds / total * 100,5:0.0} %{rate}");
        }
    }

    /// <summary>
    /// The machine's fp32 matmul ceiling as libtorch reaches it on this process's threads: GFLOP/s of the best of
    /// <paramref name="repeats"/> products of two random <paramref name="size"/>² matrices (2·size³ FLOPs each), after one
    /// warm-up. What an attention kernel's matmuls could at best reach; its small inner dimension (D = 64) keeps real
    /// tiles below it.
    /// </summary>
    public static double MatmulCeiling(int size = 2048, int repeats = 3, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(seed);
        var a = randn(size, size);
        var b = randn(size, size);
        using var retained = PeakMemory.Retained();
        a.mm(b).Dispose();
        double best = double.PositiveInfinity;
        var clock = new Stopwatch();
        for (int r = 0; r < repeats; r++)
        {
            clock.Restart();
            a.mm(b).Dispose();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }

        return 2.0 * size * size * size / best / 1e9;
    }

    /// <summary>Random q (B, H, n, D), k and v (B, G, n, D) and dO; k and v repeated to H heads for a kernel without grouped heads.</summary>
    private static (Tensor Q, Tensor K, Tensor V, Tensor DOut) Inputs(AttentionKernel implementation, int batch, int heads, int kvHeads, int length, int headDim, int seed)
    {
        int g = kvHeads <= 0 ? heads : kvHeads;
        if (heads % g != 0) throw new ArgumentException($"The {heads} query heads must be divisible by the {g} key/value heads.", nameof(kvHeads));
        manual_seed(seed);
        var q = randn(batch, heads, length, headDim);
        var k = randn(batch, g, length, headDim);
        var v = randn(batch, g, length, headDim);
        var dOut = randn(batch, heads, length, headDim);
        if (g != heads && !implementation.Id.StartsWith("flash", StringComparison.Ordinal))
        {
            k = k.repeat_interleave(heads / g, 1);
            v = v.repeat_interleave(heads / g, 1);
        }

        return (q, k, v, dOut);
    }

    private static void RunOnce(AttentionKernel implementation, Tensor q, Tensor k, Tensor v, Tensor dOut, bool causal, bool backward)
    {
        using var scope = NewDisposeScope();
        using var mode = backward ? null : no_grad();
        if (backward)
        {
            q = q.detach().requires_grad_();                  // fresh leaves: no gradient carried over from the last run
            k = k.detach().requires_grad_();
            v = v.detach().requires_grad_();
        }

        Tensor o = implementation.Benchmarked(q, k, v, causal);
        if (backward) o.backward([dOut]);
    }

    /// <summary>One line of the side-by-side table; with a matmul <paramref name="ceiling"/> (GFLOP/s), the fraction of it reached.</summary>
    public static string Format(AttentionMeasurement m, double ceiling = double.NaN)
    {
        ArgumentNullException.ThrowIfNull(m);
        string what = string.Create(CultureInfo.InvariantCulture, $"{m.Implementation.DisplayName,-6} n={m.Length,-6} {(m.Causal ? "causal " : "full   ")}{(m.Backward ? "fwd+bwd" : "fwd    ")}");
        if (m.Refused is not null) return $"{what}  refused: {m.Refused}";
        string memory = m.PeakBytes < 0 ? "?" : AttentionMemory.Format(m.PeakBytes);
        string fraction = double.IsFinite(ceiling) && ceiling > 0 ? string.Create(CultureInfo.InvariantCulture, $" ({m.GflopsPerSecond / ceiling * 100,3:0} % of the ceiling)") : "";
        return string.Create(CultureInfo.InvariantCulture, $"{what}  {m.Seconds * 1000,10:0.0} ms  {m.GflopsPerSecond,7:0.0} GFLOP/s{fraction}  peak +{memory}");
    }
}
