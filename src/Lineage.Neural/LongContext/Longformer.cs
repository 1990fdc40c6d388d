// Longformer's attention: a sliding window plus global tokens.
// Paper:   Beltagy, Peters & Cohan 2020, "Longformer: The Long-Document Transformer", arXiv:2004.05150.
// Lineage: full attention (Vaswani et al. 2017) compares all n² pairs; most useful context is local, so each token
//          attends to w neighbours on each side (before it only, when causal), O(n·w). A few global tokens attend to
//          everything and are attended by everything, so information can still cross the whole document in two hops.
// Shapes:  B batch, n tokens, C channels, H heads, D = C / H, w window (one side), g global tokens.
// How:     blocks of w tokens; query block i gathers key blocks i−1, i, i+1 (i−1, i when causal) and the blocks that
//          hold the global tokens, then a token mask keeps |p − s| ≤ w or s < g (BlockSparseAttention). The n × n
//          matrix is never built.
// Deviations: the global tokens are the first g positions (the paper lets the task choose them, e.g. [CLS] or the
//          question); one set of projections serves local and global attention (the paper has separate global ones);
//          no dilation (the paper dilates windows in upper layers of its character LM). A window wider than the
//          sequence is clamped to the sequence (which is then full attention). Lengths not a multiple of w are
//          padded and the padding is masked (see BlockSparseAttention).
using Lineage.Neural.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.LongContext;

/// <summary>Longformer's own options.</summary>
public sealed record LongformerConfig : MixerOptions
{
    /// <summary>Each token sees this many neighbours on each side (before it when causal); also the block size.</summary>
    public int Window { get; init; } = 32;

    /// <summary>The first this many positions are global.</summary>
    public int GlobalTokens { get; init; } = 4;

    /// <summary>Small enough for unit tests.</summary>
    public static LongformerConfig Tiny { get; } = new() { Window = 4, GlobalTokens = 2 };

    /// <inheritdoc />
    public override void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Window, 1, nameof(Window));
        ArgumentOutOfRangeException.ThrowIfNegative(GlobalTokens, nameof(GlobalTokens));
    }
}

/// <summary>Longformer self-attention: a sliding window of w tokens each side plus g global tokens, computed in banded blocks.</summary>
[Model("longformer", Paper = "Beltagy et al. 2020")]
[Mixer("longformer", Order = 1)]
public sealed class LongformerMixer : AttentionMixerBase
{
    private readonly Linear q;
    private readonly Linear k;
    private readonly Linear v;
    private readonly Linear o;

    /// <summary>A tiny seeded mixer and a fixed batch of token vectors, for the registry's conformance tests.</summary>
    public static ModelSample Conformance() => MixerSamples.Of(settings => new LongformerMixer(settings, LongformerConfig.Tiny), seed: 32);

    /// <summary>Window <see cref="LongformerConfig.Window"/>, global tokens <see cref="LongformerConfig.GlobalTokens"/>.</summary>
    public LongformerMixer(MixerSettings settings, LongformerConfig config) : base(nameof(LongformerMixer), settings)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        q = nn.Linear(settings.Dim, settings.Dim);
        k = nn.Linear(settings.Dim, settings.Dim);
        v = nn.Linear(settings.Dim, settings.Dim);
        o = nn.Linear(settings.Dim, settings.Dim);
        RegisterComponents();
    }

    /// <summary>Its own options.</summary>
    public LongformerConfig Config { get; }


    /// <summary>Key strips of (3w + g) per query plus the g dense global rows, scores and their gradients.</summary>
    public override long EstimateBytes(long batch, long n)
    {
        long w = Math.Min(Config.Window, Math.Max(1, n));
        long strip = 3 * w + (Config.GlobalTokens + w - 1) / w * w;
        return 4L * 4 * batch * Settings.Heads * (n + w) * strip + 4L * 4 * batch * Settings.Heads * Config.GlobalTokens * n + 24L * 4 * batch * n * Settings.Dim;
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        MixerInput.Check(x, Settings.Dim, "Longformer");
        if (x.shape[1] == 0) return Empty(x);
        MemoryGuard.Check("Longformer", x.shape[0], x.shape[1], EstimateBytes(x.shape[0], x.shape[1]));
        using var scope = NewDisposeScope();
        var y = Attention(Heads(q.forward(x)), Heads(k.forward(x)), Heads(v.forward(x)), Config.Window, Config.GlobalTokens, Causal, dense: false);
        return o.forward(Merge(y)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Window-plus-global attention of q, k, v (B, H, n, D), banded (<paramref name="dense"/> false) or through the
    /// equivalent n × n mask (true, the reference). Any n ≥ 1: padded to a multiple of the window internally.
    /// </summary>
    public static Tensor Attention(Tensor q, Tensor k, Tensor v, int window, int globalTokens, bool causal, bool dense)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        long n = q.shape[2];
        if (n == 0) return zeros_like(q);
        using var scope = NewDisposeScope();
        int w = (int)Math.Min(window, n);                        // a window wider than the sequence is the whole sequence
        var (qp, kp, vp) = (MixerInput.PadTime(q, w), MixerInput.PadTime(k, w), MixerInput.PadTime(v, w));
        var pattern = Pattern(qp.shape[2] / w, w, globalTokens, causal);
        long g = globalTokens;
        BlockSparseAttention.TokenRule rule = (p, s) => ((p - s).abs() <= w) | (s < g);
        double scale = 1.0 / Math.Sqrt(q.shape[3]);
        var y = dense ? BlockSparseAttention.Dense(qp, kp, vp, pattern, rule, n, causal, scale)
                      : BlockSparseAttention.Attend(qp, kp, vp, pattern, rule, n, causal, scale);
        return y.narrow(2, 0, n).MoveToOuterDisposeScope();
    }

    /// <summary>Query block i sees blocks i−1, i, i+1 (not i+1 when causal) and the blocks holding the g global tokens.</summary>
    public static BlockPattern Pattern(long blocks, int window, int globalTokens, bool causal)
    {
        long globalBlocks = (globalTokens + window - 1) / window;
        var lists = new List<IReadOnlyList<long>>();
        for (long i = 0; i < blocks; i++)
        {
            var list = new List<long> { i - 1, i };
            if (!causal) list.Add(i + 1);
            for (long j = 0; j < globalBlocks; j++) list.Add(j);
            lists.Add(list);
        }

        return BlockPattern.FromLists(window, lists, globalTokens);
    }
}
