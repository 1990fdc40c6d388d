// Each fast path against its reference, on activations of real text (embedded Treasury of David bytes) at a length that
// is not a multiple of any block, window or chunk; and Linformer's error against full attention as k grows.
using System.Globalization;
using Lineage.Experiments.Report;
using Lineage.Experiments.Results;
using Lineage.Neural.Core;
using Lineage.Neural.LongContext;
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Experiments.LongContext;

/// <summary>Sparse, hashed, FFT and scan paths equal their dense or sequential references; Linformer's error against k.</summary>
[ThreadCap(1, ThreadCapAttribute.SmallMatrices)]
public sealed class ExactnessExperiment : IExperiment
{
    /// <summary>Largest difference allowed between a fast path and its reference (float32).</summary>
    public const double Tolerance = 1e-5;

    private static readonly int[] ProjectedLengths = [8, 16, 32, 64, 128, 256, 512];

    /// <inheritdoc />
    public ExperimentInfo Info { get; } = new(
        Id: "long-context.exactness",
        Family: Family.LongContext,
        Title: "Same numbers, less work: every fast path against its reference, and Linformer's error against k",
        Summary: "On embedded Treasury of David text (n = 203, a multiple of no block size): banded Longformer and block-sparse BigBird against dense " +
                 "masked attention, Reformer's sorted chunks against dense attention over the same buckets, Hyena's FFT against direct convolution, " +
                 "Mamba's chunked scan and step-by-step generation against the sequential scan; Linformer's relative error against full attention for k = 8 … 512.",
        Paper: Papers.Kitaev2020,
        Budget: TimeSpan.FromSeconds(5),
        QuickBudget: TimeSpan.FromSeconds(2));

    /// <inheritdoc />
    public ExperimentResult Run(ExperimentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var docs = LongDocuments.Load(context);
        using var scope = NewDisposeScope();
        manual_seed(context.Seed);
        const int n = 203, dim = 32, heads = 2, d = dim / heads;
        var x = docs.Embedded(n, dim, context.Seed);                                                  // (1, n, C) real text
        Tensor Project() => (x.matmul(randn(dim, dim) / Math.Sqrt(dim))).reshape(1, n, heads, d).transpose(1, 2);   // (1, H, n, D)
        var (q, k, v) = (Project(), Project(), Project());
        var checks = new List<(string Name, double Diff)>();
        void Check(string name, Tensor a, Tensor b) => checks.Add((name, (a - b).abs().max().item<float>()));

        foreach (bool causal in new[] { false, true })
        {
            string mode = causal ? "causal" : "bidirectional";
            Check($"Longformer banded vs dense mask (w = 16, g = 3, {mode})",
                LongformerMixer.Attention(q, k, v, 16, 3, causal, dense: false), LongformerMixer.Attention(q, k, v, 16, 3, causal, dense: true));
            var bigbird = new BigBirdConfig { Block = 16, GlobalTokens = 16, RandomBlocks = 2 };
            Check($"BigBird block-sparse vs dense mask (b = 16, 1 global + 2 random blocks, {mode})",
                BigBirdMixer.Attention(q, k, v, bigbird, causal, context.Seed, dense: false), BigBirdMixer.Attention(q, k, v, bigbird, causal, context.Seed, dense: true));
            var hashes = LshAttention.Hash(q, randn(d, 3, 4));
            Check($"Reformer sorted chunks vs dense over the same buckets (c = 16, 8 buckets, 3 rounds, {mode})",
                LshAttention.Attend(q, v, hashes, 8, 16, causal), LshAttention.Dense(q, v, hashes, 8, 16, causal));
        }

        var u = x.transpose(1, 2);                                                                   // (1, C, n)
        var filter = randn(dim, n) * (-linspace(0, 5, n)).exp();
        Check("Hyena FFT convolution vs direct convolution", HyenaMixer.FftConv(u, filter), HyenaMixer.DirectConv(u, filter));
        using var mamba = new MambaMixer(new MixerSettings(dim), new MambaConfig { StateDim = 8, ScanChunk = 16 });
        mamba.Scan = ScanKind.Sequential;
        var sequential = mamba.forward(x);
        mamba.Scan = ScanKind.Chunked;
        Check("Mamba chunked associative scan vs sequential scan", mamba.forward(x), sequential);
        var state = mamba.NewState(1);
        var steps = new List<Tensor>();
        long stateSize = state.Elements;
        bool constant = true;
        for (int t = 0; t < n; t++)
        {
            (var y, state) = mamba.Step(x.select(1, t), state);
            steps.Add(y);
            constant &= state.Elements == stateSize;
        }

        Check("Mamba step-by-step generation vs full-sequence forward", stack(steps, 1), sequential);

        var result = context.Result();
        result.Table("Largest absolute difference between each fast path and its reference (float32, real-text activations, n = 203)",
            ["fast path vs reference", "max |difference|"],
            checks.Select(c => (IReadOnlyList<string>)[c.Name, c.Diff.ToString("0.0e+0", CultureInfo.InvariantCulture)]));
        double worst = checks.Max(c => c.Diff);
        result.Metric("max_difference", worst).Metric("mamba_state_elements", stateSize);
        result.ClaimAtMost($"every fast path equals its reference within {Tolerance:0e0} (largest difference over {checks.Count} checks)", worst, Tolerance)
              .Claim("Mamba's generation state stays the same size for every token", constant ? 1 : 0, "= 1 (constant)", constant);

        // Linformer: error of softmax(Q (E K)ᵀ) (F V) against full attention, bidirectional, n = 512 of real text.
        int ln = context.Quick ? 128 : 512;
        var xl = docs.Embedded(ln, dim, context.Seed + 1);
        Tensor ProjectL() => xl.matmul(randn(dim, dim) / Math.Sqrt(dim)).reshape(1, ln, heads, d).transpose(1, 2);
        var (ql, kl, vl) = (ProjectL(), ProjectL(), ProjectL());
        var full = nn.functional.scaled_dot_product_attention(ql, kl, vl);
        int[] ks = [.. ProjectedLengths.Where(kk => kk <= ln)];
        double Error(Tensor e) => ((LinformerMixer.Attention(ql, kl, vl, e, e) - full).norm() / full.norm()).item<float>();
        var pooled = ks.Select(kk => Error(LinformerMixer.MeanPooling(kk, ln))).ToArray();
        var gaussian = ks.Select(kk => Error(randn(kk, ln) / Math.Sqrt(kk))).ToArray();
        for (int i = 0; i < ks.Length; i++) result.Metric($"linformer_error_pooled_k{ks[i]}", pooled[i]).Metric($"linformer_error_random_k{ks[i]}", gaussian[i]);
        result.Table($"Linformer: relative error ‖Linformer − full‖ / ‖full‖ at n = {ln} against k (E = F)",
            ["k", "segment-mean projection", "random Gaussian projection (the paper's initialisation)"],
            ks.Select((kk, i) => (IReadOnlyList<string>)[kk.ToString(CultureInfo.InvariantCulture), pooled[i].ToString("0.000", CultureInfo.InvariantCulture), gaussian[i].ToString("0.000", CultureInfo.InvariantCulture)]));
        Plots.Lines(context.OutputFile("linformer.png"), $"Linformer's error against full attention (n = {ln})", "log₂ k", "relative error",
            new Series("segment means", [.. ks.Select(kk => Math.Log2(kk))], pooled), new Series("random Gaussian", [.. ks.Select(kk => Math.Log2(kk))], gaussian));
        result.Plot(context.RelativeOutput("linformer.png"), "Relative error of Linformer's attention output against full attention as the projected length k grows (untrained projections).");
        result.ClaimAtMost($"Linformer with k = n (segment means = identity) is exact (relative error)", pooled[^1], Tolerance)
              .ClaimAtMost($"Linformer's error shrinks as k grows: error at k = {ks[^2]} over error at k = 8 (segment means)", pooled[^2] / pooled[0], 0.9);
        result.Note("Random Gaussian projections (untrained) do not approach full attention as k grows: a softmax over mixed keys is not the mixture " +
                    "of the softmaxes. Linformer works because E and F are learned; segment means show the low-rank structure of attention on text, where neighbouring " +
                    "keys are similar, and become exact at k = n.");
        return result;
    }
}
