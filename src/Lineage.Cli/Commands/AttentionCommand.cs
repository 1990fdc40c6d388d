using System.CommandLine;
using System.Globalization;
using Lineage.Neural.Attention;
using Lineage.Neural.Core;
using Spectre.Console;
using TorchSharp;

namespace Lineage.Cli.Commands;

/// <summary><c>lineage attention bench</c>: the FlashAttention kernel against libtorch's SDPA and naive attention, side by side.</summary>
[CliCommand(100)]
internal static class AttentionCommand
{
    public static Command Create()
    {
        var lengths = new Option<string>("--lengths", "-n") { Description = "Sequence lengths, comma-separated.", DefaultValueFactory = _ => "1024,2048,4096,8192,16384" };
        string known = string.Join(", ", AttentionKernel.All.Select(k => k.Note.Length == 0 ? k.Id : $"{k.Id} ({k.Note})"));
        var implementations = new Option<string>("--impl") { Description = $"Implementations: {known} (comma-separated).", DefaultValueFactory = _ => "flash,sdpa,naive" };
        var pass = new Option<string>("--pass") { Description = "fwd, fwd+bwd or both.", DefaultValueFactory = _ => "both" };
        var mask = new Option<string>("--mask") { Description = "causal, full or both.", DefaultValueFactory = _ => "both" };
        var heads = new Option<int>("--heads") { Description = "Attention heads H.", DefaultValueFactory = _ => 8 };
        var kvHeads = new Option<int>("--kv-heads") { Description = "Key/value heads G (GQA; 1 is MQA); 0: as many as --heads. Kernels without grouped heads get k and v repeated before the timing.", DefaultValueFactory = _ => 0 };
        var headDim = new Option<int>("--head-dim") { Description = "Head dimension D.", DefaultValueFactory = _ => 64 };
        var batch = new Option<int>("--batch") { Description = "Batch size B.", DefaultValueFactory = _ => 1 };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs per case (the best is reported).", DefaultValueFactory = _ => 2 };
        var phases = new Option<bool>("--phases") { Description = "After each FlashAttention case, one more run timed per phase (QKᵀ, softmax, PV; the backward's five products and dS): CPU ms, share, GFLOP/s per core against the ceiling." };
        var bench = new Command("bench", "Time and peak memory of FlashAttention (ours), libtorch SDPA and naive attention: fp32, forward and forward + backward, " +
                                         "causal and not; GFLOP/s; requests that would not fit in memory are refused with the estimate.")
        {
            lengths, implementations, pass, mask, heads, kvHeads, headDim, batch, repeats, phases,
        };
        bench.SetAction((parse, cancellation) => Task.Run(() =>
        {
            try
            {
                int[] ns = [.. parse.GetValue(lengths)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
                var impls = parse.GetValue(implementations)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                                 .Select(s => AttentionKernel.All.FirstOrDefault(k => string.Equals(k.Id, s, StringComparison.OrdinalIgnoreCase))
                                              ?? throw new ArgumentException($"Unknown implementation '{s}' ({string.Join(", ", AttentionKernel.All.Select(k => k.Id))}).")).ToArray();
                bool[] backward = Choose(parse.GetValue(pass)!, "fwd", "fwd+bwd", "--pass");
                bool[] causal = Choose(parse.GetValue(mask)!, "full", "causal", "--mask");
                if (ns.Any(n => n < 1)) throw new ArgumentException("Sequence lengths must be positive (n = 0 has no attention to compute).");
                if (parse.GetValue(heads) < 1 || parse.GetValue(headDim) < 1 || parse.GetValue(batch) < 1 || parse.GetValue(repeats) < 1)
                    throw new ArgumentException("--heads, --head-dim, --batch and --repeats must be positive.");
                if (parse.GetValue(kvHeads) < 0 || (parse.GetValue(kvHeads) > 0 && parse.GetValue(heads) % parse.GetValue(kvHeads) != 0))
                    throw new ArgumentException($"--kv-heads must divide --heads ({parse.GetValue(heads)}); got {parse.GetValue(kvHeads)}.");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"fp32, batch {parse.GetValue(batch)}, {parse.GetValue(heads)} heads ({(parse.GetValue(kvHeads) > 0 ? parse.GetValue(kvHeads) : parse.GetValue(heads))} key/value), head dimension {parse.GetValue(headDim)}, {Environment.ProcessorCount} cores; best of {parse.GetValue(repeats)}"));
                // Every case's peak first, one run each with large blocks as fresh mappings: a timed run keeps its blocks in the heap
                // for the next, and a peak pass served from them counted blocks that stay resident when freed (FlashAttention's
                // fwd+bwd at n = 256 measured 9.2 MiB against 3.3 MiB in a process of its own, SDPA's at 1024 872 KiB; 2026-12-07).
                PeakMemory.FreshMappingsFromNow();
                var cases = (from bwd in backward from c in causal from n in ns from impl in impls select (bwd, c, n, impl)).ToList();
                var peaks = new Dictionary<(bool, bool, int, AttentionKernel), long>();
                Console.Error.WriteLine($"peak memory: one run of each of the {cases.Count} cases first…");
                foreach (var impl in impls)       // warm-up, not counted: JIT, the thread pool, the kernel's per-thread workspaces (9.8 MiB at n = 256 without it, 3.3 with)
                    AttentionBenchmark.Peak(impl, 1, parse.GetValue(heads), Math.Min(128, ns.Min()), parse.GetValue(headDim), causal[0], backward[^1], parse.GetValue(GlobalOptions.Seed), parse.GetValue(kvHeads));
                foreach (var (bwd, c, n, impl) in cases)
                {
                    cancellation.ThrowIfCancellationRequested();
                    peaks[(bwd, c, n, impl)] = AttentionBenchmark.Peak(impl, parse.GetValue(batch), parse.GetValue(heads), n, parse.GetValue(headDim), c, bwd,
                                                                       parse.GetValue(GlobalOptions.Seed), parse.GetValue(kvHeads));
                }

                // The machine's limit, measured in this run before and after the cases (the higher is the ceiling; a gap
                // between the two says the machine's speed changed meanwhile).
                double before = AttentionBenchmark.MatmulCeiling(seed: parse.GetValue(GlobalOptions.Seed));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fp32 matmul ceiling (2048², libtorch, {torch.get_num_threads()} threads): {before:0.0} GFLOP/s"));
                var lines = new List<AttentionMeasurement>();
                foreach (bool bwd in backward)
                    foreach (bool c in causal)
                        foreach (int n in ns)
                        {
                            var row = new Dictionary<AttentionKernel, AttentionMeasurement>();
                            foreach (var impl in impls)
                            {
                                cancellation.ThrowIfCancellationRequested();
                                var m = AttentionBenchmark.Measure(impl, parse.GetValue(batch), parse.GetValue(heads), n, parse.GetValue(headDim), c, bwd, parse.GetValue(repeats),
                                                                   parse.GetValue(GlobalOptions.Seed), parse.GetValue(kvHeads), peak: peaks[(bwd, c, n, impl)]);
                                row[impl] = m;
                                lines.Add(m);
                                Console.WriteLine(AttentionBenchmark.Format(m, before));
                                if (parse.GetValue(phases) && m.Refused is null && impl.Id.StartsWith("flash", StringComparison.Ordinal))
                                    foreach (var line in AttentionBenchmark.FormatPhases(AttentionBenchmark.Phases(impl, parse.GetValue(batch), parse.GetValue(heads), n,
                                                 parse.GetValue(headDim), c, bwd, parse.GetValue(GlobalOptions.Seed), parse.GetValue(kvHeads)), before, torch.get_num_threads()))
                                        Console.WriteLine(line);
                            }

                            if (row.TryGetValue(AttentionKernel.Flash, out var f) && row.TryGetValue(AttentionKernel.Sdpa, out var s) && f.Refused is null && s.Refused is null)
                                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  → SDPA time / FlashAttention time = {s.Seconds / f.Seconds:0.00}"));
                        }

                double after = AttentionBenchmark.MatmulCeiling(seed: parse.GetValue(GlobalOptions.Seed));
                double ceiling = Math.Max(before, after);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fp32 matmul ceiling after the cases: {after:0.0} GFLOP/s; FlashAttention against the higher, {ceiling:0.0}:"));
                foreach (var m in lines.Where(m => m.Refused is null && m.Implementation == AttentionKernel.Flash))
                    Console.WriteLine(AttentionBenchmark.Format(m, ceiling));

                return 0;
            }
            catch (OperationCanceledException)
            {
                AnsiConsole.MarkupLine("[yellow]stopped.[/]");
                return 130;
            }

        }, CancellationToken.None));
        return new Command("attention", "FlashAttention on the CPU.") { bench };
    }

    private static bool[] Choose(string value, string no, string yes, string option) => value switch
    {
        _ when value == no => [false],
        _ when value == yes => [true],
        "both" => [false, true],
        _ => throw new ArgumentException($"{option} must be {no}, {yes} or both; got '{value}'."),
    };
}
