// `-- mamba-scan [LENGTH] [ROUNDS]`: the recall chapter's Mamba mixer (C = 64, E = 128, N = 16, batch 32), forward +
// backward with the chunked (Hillis-Steele) scan, the sequential loop and the fused kernel (SelectiveScan.cs), in alternating rounds in one process;
// prints each scan's best milliseconds and the ratio. Which scan is faster depends on L: the chunked scan touches
// (B, L, E, N) tensors log₂(chunk) times, the loop runs L small steps.
using System.Diagnostics;
using System.Globalization;
using Lineage.Neural.LongContext;
using static TorchSharp.torch;

namespace Lineage.Benchmarks;

internal static class MambaScanCompare
{
    public static int Run(string[] args)
    {
        int length = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
        int rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
        set_num_threads(1);
        manual_seed(1);
        var settings = RecallTraining.Settings(64, length);
        using var mixer = new MambaMixer(settings, settings.Get<MambaConfig>());
        var kinds = new[] { ScanKind.Chunked, ScanKind.Sequential, ScanKind.Fused };
        var best = kinds.ToDictionary(k => k, _ => double.PositiveInfinity);
        using var x = randn(32, length, 64);
        for (int round = 0; round <= rounds; round++)
        {
            foreach (var kind in kinds)
            {
                mixer.Scan = kind;
                using var scope = NewDisposeScope();
                mixer.zero_grad();
                var clock = Stopwatch.StartNew();
                mixer.forward(x).square().mean().backward();
                if (round > 0) best[kind] = Math.Min(best[kind], clock.Elapsed.TotalMilliseconds);   // round 0 warms up
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mamba forward+backward, B 32, L {length}, C 64, E 128, N 16, 1 thread, best of {rounds}: chunked {best[ScanKind.Chunked]:0.0} ms, sequential {best[ScanKind.Sequential]:0.0} ms, fused {best[ScanKind.Fused]:0.0} ms; chunked / fused {best[ScanKind.Chunked] / best[ScanKind.Fused]:0.00}"));
        return 0;
    }
}
