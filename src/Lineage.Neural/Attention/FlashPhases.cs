// Where the FlashAttention kernel's time goes: CPU time and FLOPs per phase (the tile products QKᵀ and PV, the online
// softmax, and the backward pass's five products and softmax gradient), summed over the worker threads. Off by default;
// `lineage attention bench --phases` turns it on for one extra run per case. A phase's GFLOP/s per core, set against
// the matmul ceiling per core, says how far each tile product is from what the machine's matmul reaches (issue 32).
// Cost when off: one static read per tile (a tile is ≈ 0.5 MFLOP at 64 × 64 × 64).
using System.Collections.Concurrent;
using System.Diagnostics;

namespace Lineage.Neural.Attention;

/// <summary>A phase of the FlashAttention kernel.</summary>
public enum FlashPhase
{
    /// <summary>Forward: S = (scale·Q_i) K_jᵀ.</summary>
    ForwardQk,
    /// <summary>Forward: mask, running max, exp, running sum, rescaling of O.</summary>
    ForwardSoftmax,
    /// <summary>Forward: O += P̃ V_j.</summary>
    ForwardPv,
    /// <summary>Forward: scaling Q, transposing K, normalising O, writing L.</summary>
    ForwardOther,
    /// <summary>Backward: S recomputed, Q_i K_jᵀ.</summary>
    BackwardQk,
    /// <summary>Backward: P = exp(S − L) recomputed.</summary>
    BackwardP,
    /// <summary>Backward: dV_j += Pᵀ dO_i.</summary>
    BackwardDv,
    /// <summary>Backward: dP = dO_i V_jᵀ.</summary>
    BackwardDp,
    /// <summary>Backward: dS = P ⊙ (dP − D_i).</summary>
    BackwardDs,
    /// <summary>Backward: dK_j += dSᵀ Q_i.</summary>
    BackwardDk,
    /// <summary>Backward: dQ_i += dS K_j.</summary>
    BackwardDq,
    /// <summary>Backward: D = rowsum(dO ⊙ O), transposes, scaling Q, summing dQ copies.</summary>
    BackwardOther,
}

/// <summary>CPU seconds and FLOPs of one phase, summed over threads.</summary>
/// <param name="Phase">The phase.</param>
/// <param name="CpuSeconds">Time spent in it, summed over the worker threads.</param>
/// <param name="Flops">Its floating-point operations (the tile products' 2·m·n·k; 0 for the others).</param>
public sealed record FlashPhaseTime(FlashPhase Phase, double CpuSeconds, double Flops)
{
    /// <summary>GFLOP/s on one core (FLOPs per CPU second), or NaN for a phase without FLOPs.</summary>
    public double GflopsPerCore => Flops > 0 && CpuSeconds > 0 ? Flops / CpuSeconds / 1e9 : double.NaN;
}

/// <summary>Per-phase timing of <see cref="FlashAttention"/>, off unless <see cref="Enabled"/>.</summary>
public static class FlashPhases
{
    private static readonly int Count = Enum.GetValues<FlashPhase>().Length;
    private static readonly ConcurrentBag<double[]> Threads = [];

    [ThreadStatic]
    private static double[]? t_counters;   // [phase] ticks, then [Count + phase] FLOPs

    /// <summary>Whether the kernel records its phases (for a measurement only: leave off otherwise).</summary>
    public static bool Enabled { get; set; }

    /// <summary>Now, when enabled (else 0): the start of a phase.</summary>
    public static long Start() => Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Ends <paramref name="phase"/> begun at <paramref name="start"/>, adding its time and <paramref name="flops"/>; returns now, the next phase's start.</summary>
    public static long Lap(FlashPhase phase, long start, double flops = 0)
    {
        if (!Enabled) return 0;
        long now = Stopwatch.GetTimestamp();
        var counters = t_counters;
        if (counters is null)
        {
            counters = t_counters = new double[2 * Count];
            Threads.Add(counters);
        }

        counters[(int)phase] += now - start;
        counters[Count + (int)phase] += flops;
        return now;
    }

    /// <summary>Clears every thread's counters.</summary>
    public static void Reset()
    {
        foreach (var counters in Threads) Array.Clear(counters);
    }

    /// <summary>What was recorded since the last <see cref="Reset"/>, every phase in order (read when no kernel is running).</summary>
    public static IReadOnlyList<FlashPhaseTime> Snapshot()
    {
        var ticks = new double[2 * Count];
        foreach (var counters in Threads)
            for (int i = 0; i < ticks.Length; i++) ticks[i] += counters[i];
        return [.. Enum.GetValues<FlashPhase>().Select(p => new FlashPhaseTime(p, ticks[(int)p] / Stopwatch.Frequency, ticks[Count + (int)p]))];
    }
}
