// Time and peak memory of one forward + backward pass of a mixer at growing n, with sizes that would not fit or would
// take too long skipped (and the reason kept), and the fitted scaling exponent: the measurement behind the chapter's
// log-log plot and the `longctx bench` command.
using System.Diagnostics;
using System.Globalization;
using Lineage.Neural.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.LongContext;

/// <summary>One measurement, or why it was skipped.</summary>
/// <param name="Mixer">The mixer's id.</param>
/// <param name="N">Sequence length.</param>
/// <param name="Seconds">Wall time of forward + backward (NaN when skipped).</param>
/// <param name="PeakBytes">Growth of the process's peak resident memory during the pass (−1 when not measurable or skipped).</param>
/// <param name="EstimatedBytes">The mixer's own activation estimate.</param>
/// <param name="Skipped">Why it was not run, or null.</param>
public sealed record BenchPoint(string Mixer, long N, double Seconds, long PeakBytes, long EstimatedBytes, string? Skipped);

/// <summary>Forward + backward timing of mixers over sequence lengths.</summary>
public static class MixerBenchmark
{
    /// <summary>
    /// The mixer settings of the benchmark at length n: C = 32, 2 heads, causal where the mixer can be; window and blocks
    /// of 64, chunks of 64, 64 buckets, state 8, Mamba's inner width C (other mixers: their defaults).
    /// </summary>
    public static MixerSettings Settings(string mixer, long n) =>
        new MixerSettings(Dim: 32, Heads: 2, Causal: MixerRegistry.Get(mixer).CanBeCausal).With(
            new LongformerConfig { Window = 64, GlobalTokens = 16 },
            new BigBirdConfig { Block = 64, GlobalTokens = 16, RandomBlocks = 1 },
            new ReformerConfig { Chunk = 64, Buckets = 64, Rounds = 2 },
            new LinformerConfig { ProjectedLength = 64, MaxLength = (int)Math.Max(1, n) },
            new HyenaConfig { FilterFeatures = 9, FilterHidden = 32, ConvKernel = 4 },
            new MambaConfig { StateDim = 8, Expand = 1, ConvKernel = 4, ScanChunk = 16 });

    /// <summary>
    /// Measures every mixer at every length (ascending). A length is skipped when the mixer's estimate exceeds
    /// <paramref name="memoryCapBytes"/>, when the time extrapolated from the two previous lengths exceeds
    /// <paramref name="timeCapSeconds"/>, or after a measurement that already took longer than the cap.
    /// </summary>
    /// <param name="mixers">Mixer ids (<see cref="MixerRegistry"/>).</param>
    /// <param name="lengths">Sequence lengths.</param>
    /// <param name="input">(1, n, 32) input for length n (e.g. embedded real text).</param>
    /// <param name="timeCapSeconds">Longest single measurement allowed.</param>
    /// <param name="memoryCapBytes">Largest activation estimate allowed.</param>
    /// <param name="log">Told about each point; may be null.</param>
    /// <param name="cancellation">Stops between measurements.</param>
    public static IReadOnlyList<BenchPoint> Run(IEnumerable<string> mixers, IReadOnlyList<long> lengths, Func<long, Tensor> input, double timeCapSeconds,
        long memoryCapBytes, Action<string>? log = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(mixers);
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentNullException.ThrowIfNull(input);
        var points = new List<BenchPoint>();
        foreach (var id in mixers)
        {
            var measured = new List<(long N, double Seconds)>();
            string? stop = null;
            foreach (long n in lengths.Order())
            {
                cancellation.ThrowIfCancellationRequested();
                var settings = Settings(id, n);
                manual_seed(1);
                using var mixer = MixerRegistry.Create(id, settings);
                long estimate = ((ISequenceMixer)mixer).EstimateBytes(1, n);
                string? skip = stop;
                if (skip is null && estimate > memoryCapBytes)
                    skip = $"memory: needs ≈ {MemoryGuard.Gib(estimate)} > cap {MemoryGuard.Gib(memoryCapBytes)}";
                if (skip is null && measured.Count >= 2)
                {
                    var (n1, t1) = measured[^2];
                    var (n2, t2) = measured[^1];
                    double slope = Math.Max(1, Math.Log(t2 / t1) / Math.Log((double)n2 / n1));
                    double predicted = t2 * Math.Pow((double)n / n2, slope);
                    if (predicted > timeCapSeconds) skip = string.Create(CultureInfo.InvariantCulture, $"time: predicted {predicted:0.0} s > cap {timeCapSeconds:0} s");
                }

                if (skip is not null)
                {
                    points.Add(new BenchPoint(id, n, double.NaN, -1, estimate, skip));
                    log?.Invoke($"{id} n={n}: skipped ({skip})");
                    continue;
                }

                long limit = MemoryGuard.LimitBytes;
                MemoryGuard.LimitBytes = Math.Max(limit, memoryCapBytes);
                try
                {
                    if (measured.Count == 0) Pass(mixer, input(Math.Min(n, 256)));      // warm-up: first-call costs out of the timing
                    var x = input(n);
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    // The first pass measures the peak memory and warms the kept heap; the timed passes after it reuse
                    // that memory (PeakMemory.Retained), so the kernel's page faults are not counted as the mixer's time.
                    using var retained = PeakMemory.Retained();
                    bool reset = PeakMemory.ResetPeak();
                    long before = PeakMemory.Resident();
                    Pass(mixer, x);
                    long peak = reset ? Math.Max(0, PeakMemory.Peak() - before) : -1;
                    double seconds = double.PositiveInfinity;
                    // Short passes are repeated and the fastest kept: a shared machine only ever adds time.
                    var clock = new Stopwatch();
                    for (int rep = 0; rep < 3 && (rep == 0 || seconds < 0.5); rep++)
                    {
                        clock.Restart();
                        Pass(mixer, x);
                        seconds = Math.Min(seconds, clock.Elapsed.TotalSeconds);
                    }

                    x.Dispose();
                    measured.Add((n, seconds));
                    points.Add(new BenchPoint(id, n, seconds, peak, estimate, null));
                    log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"{id} n={n}: {seconds:0.000} s, peak +{peak / 1048576.0:0} MiB"));
                    if (seconds > timeCapSeconds) stop = string.Create(CultureInfo.InvariantCulture, $"time: n = {n} already took {seconds:0.0} s");
                }
                finally
                {
                    MemoryGuard.LimitBytes = limit;
                }
            }
        }

        return points;
    }

    /// <summary>Least-squares slope of log(seconds) against log(n): the scaling exponent (time ∝ n^slope).</summary>
    /// <returns>The slope, or NaN with fewer than two points.</returns>
    public static double Exponent(IEnumerable<(long N, double Seconds)> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var p = points.Where(x => x.Seconds > 0 && double.IsFinite(x.Seconds)).Select(x => (X: Math.Log(x.N), Y: Math.Log(x.Seconds))).ToList();
        if (p.Count < 2) return double.NaN;
        double mx = p.Average(x => x.X), my = p.Average(x => x.Y);
        double sxy = p.Sum(x => (x.X - mx) * (x.Y - my)), sxx = p.Sum(x => (x.X - mx) * (x.X - mx));
        return sxx == 0 ? double.NaN : sxy / sxx;
    }

    private static void Pass(nn.Module<Tensor, Tensor> mixer, Tensor x)
    {
        using var scope = NewDisposeScope();
        var leaf = x.detach().requires_grad_(true);
        mixer.forward(leaf).pow(2).mean().backward();
        mixer.zero_grad();
    }
}
