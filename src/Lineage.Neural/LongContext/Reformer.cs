// Reformer: LSH attention and reversible residual layers.
// Paper:   Kitaev, Kaiser & Levskaya 2020, "Reformer: The Efficient Transformer", arXiv:2001.04451;
//          reversible layers from Gomez et al. 2017, "The Reversible Residual Network", arXiv:1707.04585.
// Lineage: softmax attention is dominated by the few keys closest to each query; locality-sensitive hashing finds
//          them without comparing all n² pairs, O(n log n) (the sort). Reversible layers remove the other memory
//          cost of long sequences: activations of every layer kept for the backward pass.
// Shapes:  B batch, n tokens, C channels, H heads, D = C / H, R hash rounds, nb buckets, c chunk length.
// How:     queries and keys share one projection (qk). Per round r, a random rotation M_r (D × nb/2) hashes
//          h(x) = argmax([x M_r ; −x M_r]); tokens are sorted by (bucket, position), cut into chunks of c, and each chunk
//          attends to itself and the previous chunk (keys are the unit-normalised qk). A token does not attend to itself
//          unless nothing else is available (its score is −10⁵). The R rounds are combined with weights
//          softmax_r(logsumexp_r), which equals one softmax over the union of the rounds' keys, each key counted as many
//          times as rounds put it beside the query (the dense reference builds exactly that).
// Deviations: the rotations are fixed per layer (drawn from the layer's seed, the head width and the bucket count)
//          instead of redrawn at every forward pass, so a reversible backward can recompute the same buckets (the
//          paper's implementation saves the random seed instead); the previous chunk wraps around from the first chunk
//          to the last, as in the reference code; padding positions get their own last bucket and are masked.
using Lineage.Text.Determinism;
using Lineage.Neural.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.LongContext;

/// <summary>Reformer's own options.</summary>
public sealed record ReformerConfig : MixerOptions
{
    /// <summary>Chunk length c of the sorted sequence.</summary>
    public int Chunk { get; init; } = 32;

    /// <summary>Hash buckets (even); 0 picks 2·⌈n / Chunk⌉ per sequence, the paper's rule.</summary>
    public int Buckets { get; init; }

    /// <summary>Hashing rounds R.</summary>
    public int Rounds { get; init; } = 2;

    /// <summary>Small enough for unit tests.</summary>
    public static ReformerConfig Tiny { get; } = new() { Chunk = 4, Buckets = 4, Rounds = 2 };

    /// <inheritdoc />
    public override void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Chunk, 1, nameof(Chunk));
        if (Buckets < 0 || Buckets % 2 != 0) throw new ArgumentException($"Buckets must be 0 (automatic) or a positive even number; got {Buckets}.", nameof(Buckets));
        ArgumentOutOfRangeException.ThrowIfLessThan(Rounds, 1, nameof(Rounds));
    }
}

/// <summary>Reformer's LSH self-attention: shared query-key projection, hashed buckets, sorted chunks.</summary>
[Model("reformer", Paper = "Kitaev et al. 2020")]
[Mixer("reformer", Order = 3)]
public sealed class ReformerMixer : AttentionMixerBase
{
    private readonly Linear qk;
    private readonly Linear v;
    private readonly Linear o;

    /// <summary>A tiny seeded mixer and a fixed batch of token vectors, for the registry's conformance tests.</summary>
    public static ModelSample Conformance() => MixerSamples.Of(settings => new ReformerMixer(settings, ReformerConfig.Tiny), seed: 34);

    /// <summary>Chunks of <see cref="ReformerConfig.Chunk"/>, <see cref="ReformerConfig.Rounds"/> rounds, <see cref="ReformerConfig.Buckets"/> buckets.</summary>
    public ReformerMixer(MixerSettings settings, ReformerConfig config) : base(nameof(ReformerMixer), settings)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        qk = nn.Linear(settings.Dim, settings.Dim);
        v = nn.Linear(settings.Dim, settings.Dim);
        o = nn.Linear(settings.Dim, settings.Dim);
        RegisterComponents();
    }

    /// <summary>Its own options.</summary>
    public ReformerConfig Config { get; }


    /// <summary>Per round: sorted copies of qk and v, (n, 2c) scores, weights and gradients.</summary>
    public override long EstimateBytes(long batch, long n) =>
        4L * batch * Settings.Heads * Config.Rounds * (n + Config.Chunk) * (4L * 2 * Config.Chunk + 6L * HeadDim + 2L * BucketCount(n)) + 24L * 4 * batch * n * Settings.Dim;

    /// <summary>
    /// Buckets for a sequence of n tokens: the configured count, or 2·⌈n / c⌉ clamped to 2 … 64 (the paper's rule of about
    /// two chunks' worth of tokens per bucket, capped: hashing costs O(n · buckets · D), so buckets growing with n would
    /// make it quadratic).
    /// </summary>
    public int BucketCount(long n) => Config.Buckets > 0 ? Config.Buckets : (int)Math.Clamp(2 * ((n + Config.Chunk - 1) / Config.Chunk), 2, 64);

    /// <summary>The fixed random rotations (D, R, nb/2) for <paramref name="buckets"/> buckets.</summary>
    public Tensor Rotations(int buckets, Device device)
    {
        using var generator = new Generator((ulong)StableSeed.Of(Settings.Seed, HeadDim, buckets) & 0x7fffffffUL);   // stable across processes (HashCode is not)
        return randn([HeadDim, Config.Rounds, buckets / 2], generator: generator).to(device);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        MixerInput.Check(x, Settings.Dim, "Reformer");
        if (x.shape[1] == 0) return Empty(x);
        MemoryGuard.Check("Reformer", x.shape[0], x.shape[1], EstimateBytes(x.shape[0], x.shape[1]));
        using var scope = NewDisposeScope();
        var shared = Heads(qk.forward(x));                                                   // (B, H, n, D)
        int buckets = BucketCount(x.shape[1]);
        var hashes = LshAttention.Hash(shared, Rotations(buckets, x.device));                // (B, H, R, n)
        var y = LshAttention.Attend(shared, Heads(v.forward(x)), hashes, buckets, Config.Chunk, Causal);
        return o.forward(Merge(y)).MoveToOuterDisposeScope();
    }
}

/// <summary>The functional core of Reformer's attention: hashing, chunked attention, and the dense reference.</summary>
public static class LshAttention
{
    /// <summary>Score given to a token attending to itself (used only when nothing else is visible).</summary>
    public const float SelfScore = -1e5f;

    /// <summary>Buckets (B, H, R, n) int64 of qk (B, H, n, D) under rotations (D, R, nb/2): argmax([x M ; −x M]).</summary>
    public static Tensor Hash(Tensor qk, Tensor rotations)
    {
        ArgumentNullException.ThrowIfNull(qk);
        ArgumentNullException.ThrowIfNull(rotations);
        using var scope = NewDisposeScope();
        var rotated = einsum("bhnd,drk->bhrnk", qk, rotations);                               // (B, H, R, n, nb/2)
        return cat([rotated, -rotated], -1).argmax(-1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// LSH attention of shared qk and v (B, H, n, D) given buckets (B, H, R, n) in 0..nb−1: sort each round by
    /// (bucket, position), attend within chunks of <paramref name="chunk"/> and to the previous chunk, unsort, combine
    /// the rounds. Any n ≥ 1: padded to a multiple of the chunk with positions in an extra last bucket, masked.
    /// </summary>
    public static Tensor Attend(Tensor qk, Tensor v, Tensor buckets, int buckets_count, int chunk, bool causal)
    {
        ArgumentNullException.ThrowIfNull(qk);
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(buckets);
        using var scope = NewDisposeScope();
        long b = qk.shape[0], h = qk.shape[1], n = qk.shape[2], d = qk.shape[3], rounds = buckets.shape[2];
        var device = qk.device;
        long c = Math.Min(chunk, n);
        var qp = MixerInput.PadTime(qk, c);
        var vp = MixerInput.PadTime(v, c);
        long np = qp.shape[2], nc = np / c;
        var hashes = np == n ? buckets : cat([buckets, full([b, h, rounds, np - n], (long)buckets_count, ScalarType.Int64, device)], -1);
        var positions = arange(np, device: device);
        var order = (hashes * np + positions).argsort(-1);                                    // (B, H, R, np): sort by bucket, then position
        var sortedPos = positions.index_select(0, order.reshape(-1)).reshape(b, h, rounds, np);
        var gatherIndex = order.unsqueeze(-1).expand(b, h, rounds, np, d);
        var q = qp.unsqueeze(2).expand(b, h, rounds, np, d).gather(3, gatherIndex);           // (B, H, R, np, D) sorted
        var vs = vp.unsqueeze(2).expand(b, h, rounds, np, d).gather(3, gatherIndex);
        var keys = q / (q.norm(-1, keepdim: true) + 1e-6f);                                   // unit keys: a query's own key would otherwise dominate
        // Chunks: each chunk's keys are the previous chunk (wrapping) followed by its own.
        var qc = q.reshape(b, h, rounds, nc, c, d);
        var kc = WithPrevious(keys.reshape(b, h, rounds, nc, c, d), nc);                       // (B, H, R, nc, 2c or c, D)
        var vc = WithPrevious(vs.reshape(b, h, rounds, nc, c, d), nc);
        var pq = sortedPos.reshape(b, h, rounds, nc, c, 1);
        var pk = WithPrevious(sortedPos.reshape(b, h, rounds, nc, c), nc).unsqueeze(-2);       // (B, H, R, nc, 1, 2c)
        var scores = qc.matmul(kc.transpose(-1, -2)) * (1.0 / Math.Sqrt(d));                  // (B, H, R, nc, c, 2c)
        scores = scores.masked_fill(pk == pq, SelfScore);
        var hidden = pk >= n & pq < n;                                                        // padding keys, for real queries
        if (causal) hidden = hidden | (pk > pq);
        scores = scores.masked_fill(hidden, float.NegativeInfinity);
        var lse = scores.logsumexp(-1, keepdim: true);                                        // (B, H, R, nc, c, 1)
        var outSorted = (scores - lse).exp().matmul(vc).reshape(b, h, rounds, np, d);
        // Unsort each round and combine the rounds with weights softmax_r(lse_r).
        var undo = order.argsort(-1);
        var outRounds = outSorted.gather(3, undo.unsqueeze(-1).expand(b, h, rounds, np, d));  // (B, H, R, np, D)
        var lseRounds = lse.reshape(b, h, rounds, np).gather(3, undo);                         // (B, H, R, np)
        var weights = lseRounds.softmax(2).unsqueeze(-1);
        return (outRounds * weights).sum(2).narrow(2, 0, n).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The reference: full attention where the score of (i, j) gets log(count) added, count being the number of rounds
    /// that put j in i's chunk or the chunk before (−∞ when none); self scores replaced by <see cref="SelfScore"/>.
    /// </summary>
    public static Tensor Dense(Tensor qk, Tensor v, Tensor buckets, int buckets_count, int chunk, bool causal)
    {
        ArgumentNullException.ThrowIfNull(qk);
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(buckets);
        using var scope = NewDisposeScope();
        long b = qk.shape[0], h = qk.shape[1], n = qk.shape[2], d = qk.shape[3], rounds = buckets.shape[2];
        long c = Math.Min(chunk, n), np = (n + c - 1) / c * c, nc = np / c;
        var device = qk.device;
        var hashes = np == n ? buckets : cat([buckets, full([b, h, rounds, np - n], (long)buckets_count, ScalarType.Int64, device)], -1);
        var positions = arange(np, device: device);
        var order = (hashes * np + positions).argsort(-1);
        var rank = order.argsort(-1);                                                         // (B, H, R, np): where each position sits after sorting
        var chunkOf = rank.div(c, RoundingMode.floor).narrow(3, 0, n);                                            // (B, H, R, n)
        var ci = chunkOf.unsqueeze(-1);
        var cj = chunkOf.unsqueeze(-2);
        var together = (ci == cj) | (nc > 1 ? ((ci - cj + nc) % nc == 1) : zeros_like(ci == cj));
        var count = together.to(ScalarType.Float32).sum(2);                                   // (B, H, n, n)
        var keys = qk / (qk.norm(-1, keepdim: true) + 1e-6f);
        var scores = qk.matmul(keys.transpose(-1, -2)) * (1.0 / Math.Sqrt(d));
        var eye = torch.eye(n, dtype: ScalarType.Bool, device: device);
        scores = scores.masked_fill(eye, SelfScore) + count.log();
        if (causal) scores = scores.masked_fill(ones(n, n, ScalarType.Bool, device: device).triu(1), float.NegativeInfinity);
        return scores.softmax(-1).matmul(v).MoveToOuterDisposeScope();
    }

    /// <summary>Concatenates each chunk (dim −2 for 6-D, −1 for 5-D position tensors) after its predecessor (wrapping); one chunk alone is not doubled.</summary>
    private static Tensor WithPrevious(Tensor chunks, long nc)
    {
        if (nc == 1) return chunks;
        int dim = chunks.dim() == 6 ? 4 : 4;                                                  // the chunk-content axis
        var previous = chunks.roll(1, 3);
        return cat([previous, chunks], dim);
    }
}

/// <summary>
/// Reversible residual layers (Gomez et al. 2017), as Reformer uses them: with inputs (x₁, x₂),
/// y₁ = x₁ + F(x₂), y₂ = x₂ + G(y₁), where F is a block's mixer branch and G its MLP branch. The forward pass keeps
/// only the last layer's outputs; the backward pass walks down the layers, recovering each layer's inputs from its
/// outputs (x₂ = y₂ − G(y₁), x₁ = y₁ − F(x₂)) and recomputing F and G to get their gradients, so activation memory
/// does not grow with depth. The stream starts as x₁ = x₂ = x and ends as (y₁ + y₂)/2.
/// </summary>
public static class Reversible
{
    /// <summary>The reversible stack over x (B, T, C); trains like <see cref="Plain"/>, with the same gradients.</summary>
    public static Tensor Stack(Tensor x, IReadOnlyList<MixerBlock> blocks)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(blocks);
        var outputs = ReversibleFunction.apply(x, x, blocks);
        return (outputs[0] + outputs[1]) * 0.5f;
    }

    /// <summary>The same computation with ordinary autograd, keeping every activation: the reference.</summary>
    public static Tensor Plain(Tensor x, IReadOnlyList<MixerBlock> blocks)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(blocks);
        Tensor x1 = x, x2 = x;
        foreach (var block in blocks)
        {
            var y1 = x1 + block.MixBranch(x2);
            var y2 = x2 + block.MlpBranch(y1);
            (x1, x2) = (y1, y2);
        }

        return (x1 + x2) * 0.5f;
    }

    /// <summary>The custom autograd function: saves only the outputs, recomputes in backward.</summary>
    private sealed class ReversibleFunction : autograd.MultiTensorFunction<ReversibleFunction>
    {
        public override string Name => "ReversibleStack";

        public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var x1 = (Tensor)vars[0];
            var x2 = (Tensor)vars[1];
            var blocks = (IReadOnlyList<MixerBlock>)vars[2];
            using var noGrad = no_grad();
            bool owned = false;                                                   // x1, x2 are the caller's inputs at first
            foreach (var block in blocks)
            {
                Tensor y1, y2;
                using (var layer = NewDisposeScope())                             // each layer's temporaries die with it: memory stays flat
                {
                    y1 = (x1 + block.MixBranch(x2)).MoveToOuterDisposeScope();
                    y2 = (x2 + block.MlpBranch(y1)).MoveToOuterDisposeScope();
                }

                if (owned)
                {
                    x1.Dispose();
                    x2.Dispose();
                }

                (x1, x2, owned) = (y1, y2, true);
            }

            ctx.save_for_backward([x1, x2]);
            ctx.save_data("blocks", blocks);
            return [x1, x2];
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> grad_outputs)
        {
            var saved = ctx.get_saved_variables();
            var blocks = (IReadOnlyList<MixerBlock>)ctx.get_data("blocks");
            Tensor y1 = saved[0].detach(), y2 = saved[1].detach();
            Tensor dy1 = grad_outputs[0], dy2 = grad_outputs[1];
            using var enable = enable_grad();
            for (int layer = blocks.Count - 1; layer >= 0; layer--)
            {
                using var layerScope = NewDisposeScope();                         // recomputed activations die with their layer
                var block = blocks[layer];
                var parameters = block.parameters().ToList();
                // G's gradient: recompute G(y1) with y1 as a leaf; recover x2 = y2 − G(y1).
                var y1Leaf = y1.detach().requires_grad_(true);
                var g = block.MlpBranch(y1Leaf);
                var gGrads = autograd.grad([g], [y1Leaf, .. parameters], [dy2], allow_unused: true);
                var x2 = (y2 - g).detach();
                var dx1Total = dy1 + gGrads[0];                                               // ∂/∂y1 through both outputs
                Accumulate(parameters, gGrads, 1);
                // F's gradient: recompute F(x2) with x2 as a leaf; recover x1 = y1 − F(x2).
                var x2Leaf = x2.requires_grad_(true);
                var f = block.MixBranch(x2Leaf);
                var fGrads = autograd.grad([f], [x2Leaf, .. parameters], [dx1Total], allow_unused: true);
                var x1 = (y1 - f).detach();
                Accumulate(parameters, fGrads, 1);
                (dy1, dy2) = (dx1Total.MoveToOuterDisposeScope(), (dy2 + fGrads[0]).MoveToOuterDisposeScope());
                (y1, y2) = (x1.MoveToOuterDisposeScope(), x2.detach().MoveToOuterDisposeScope());
            }

            return [dy1, dy2, null!];
        }

        private static void Accumulate(List<Parameter> parameters, IList<Tensor> grads, int offset)
        {
            for (int i = 0; i < parameters.Count; i++)
            {
                var grad = grads[offset + i];
                if (grad is null || grad.IsInvalid) continue;
                var p = parameters[i];
                if (p.grad is null) p.grad = grad.detach().clone().DetachFromDisposeScope();
                else p.grad.add_(grad);
            }
        }
    }
}
