// BigBird's attention: window + global + random blocks.
// Paper:   Zaheer et al. 2020, "Big Bird: Transformers for Longer Sequences", arXiv:2007.14062.
// Lineage: Longformer's window and global tokens, plus r random key blocks per query block. Random edges make the
//          attention graph an expander (short paths between any two tokens); the paper proves the sparse pattern keeps
//          full attention's expressiveness (a universal approximator of sequence functions, Turing complete).
// Shapes:  B batch, n tokens, C channels, H heads, D = C / H, b block size, r random blocks, g global blocks.
// How:     block-sparse attention (BlockSparseAttention): query block i gathers blocks i−1, i, i+1 (i−1, i when
//          causal), the g global blocks and r random blocks, attending to every token in them; the global blocks'
//          queries attend to everything. O(n · (3 + g + r) · b).
// Deviations: the random blocks are fixed per layer (drawn from the layer's seed and the number of blocks) rather than
//          redrawn per example, as in the paper's ITC variant at inference; when causal, random blocks are drawn
//          among earlier blocks only (the paper is bidirectional). Global tokens are the first ⌈GlobalTokens / b⌉
//          blocks. Lengths not a multiple of b are padded and the padding masked.
using Lineage.Text.Determinism;
using Lineage.Neural.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.LongContext;

/// <summary>BigBird's own options.</summary>
public sealed record BigBirdConfig : MixerOptions
{
    /// <summary>Block size b (also the window: the neighbouring blocks).</summary>
    public int Block { get; init; } = 16;

    /// <summary>The first this many positions are global, rounded up to whole blocks.</summary>
    public int GlobalTokens { get; init; } = 4;

    /// <summary>Random key blocks r per query block.</summary>
    public int RandomBlocks { get; init; } = 2;

    /// <summary>Small enough for unit tests.</summary>
    public static BigBirdConfig Tiny { get; } = new() { Block = 4, GlobalTokens = 2, RandomBlocks = 1 };

    /// <inheritdoc />
    public override void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(GlobalTokens, nameof(GlobalTokens));
        ArgumentOutOfRangeException.ThrowIfLessThan(Block, 1, nameof(Block));
        ArgumentOutOfRangeException.ThrowIfNegative(RandomBlocks, nameof(RandomBlocks));
    }
}

/// <summary>BigBird self-attention: window, global and random blocks.</summary>
[Model("bigbird", Paper = "Zaheer et al. 2020")]
[Mixer("bigbird", Order = 2)]
public sealed class BigBirdMixer : AttentionMixerBase
{
    private readonly Linear q;
    private readonly Linear k;
    private readonly Linear v;
    private readonly Linear o;

    /// <summary>A tiny seeded mixer and a fixed batch of token vectors, for the registry's conformance tests.</summary>
    public static ModelSample Conformance() => MixerSamples.Of(settings => new BigBirdMixer(settings, BigBirdConfig.Tiny), seed: 33);

    /// <summary>Block <see cref="BigBirdConfig.Block"/>, <see cref="BigBirdConfig.RandomBlocks"/> random blocks, global tokens rounded up to blocks.</summary>
    public BigBirdMixer(MixerSettings settings, BigBirdConfig config) : base(nameof(BigBirdMixer), settings)
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
    public BigBirdConfig Config { get; }


    /// <inheritdoc />
    public override long EstimateBytes(long batch, long n)
    {
        long bs = Config.Block, g = (Config.GlobalTokens + bs - 1) / bs;
        long strip = (3 + g + Config.RandomBlocks) * bs;
        return 4L * 4 * batch * Settings.Heads * (n + bs) * strip + 4L * 4 * batch * Settings.Heads * g * bs * n + 24L * 4 * batch * n * Settings.Dim;
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        MixerInput.Check(x, Settings.Dim, "BigBird");
        if (x.shape[1] == 0) return Empty(x);
        MemoryGuard.Check("BigBird", x.shape[0], x.shape[1], EstimateBytes(x.shape[0], x.shape[1]));
        using var scope = NewDisposeScope();
        var y = Attention(Heads(q.forward(x)), Heads(k.forward(x)), Heads(v.forward(x)), Config, Causal, Settings.Seed, dense: false);
        return o.forward(Merge(y)).MoveToOuterDisposeScope();
    }

    /// <summary>BigBird attention of q, k, v (B, H, n, D): block-sparse, or through the equivalent n × n mask (the reference).</summary>
    /// <param name="q">Queries (B, H, n, D).</param>
    /// <param name="k">Keys (B, H, n, D).</param>
    /// <param name="v">Values (B, H, n, D).</param>
    /// <param name="config">Block size, global tokens and random blocks.</param>
    /// <param name="causal">Token t sees only tokens ≤ t.</param>
    /// <param name="seed">Seeds the random blocks.</param>
    /// <param name="dense">Through the n × n mask (the reference) instead of block-sparse.</param>
    public static Tensor Attention(Tensor q, Tensor k, Tensor v, BigBirdConfig config, bool causal, int seed, bool dense)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(config);
        long n = q.shape[2];
        if (n == 0) return zeros_like(q);
        using var scope = NewDisposeScope();
        int bs = (int)Math.Min(config.Block, n);
        var (qp, kp, vp) = (MixerInput.PadTime(q, bs), MixerInput.PadTime(k, bs), MixerInput.PadTime(v, bs));
        var pattern = Pattern(qp.shape[2] / bs, bs, config.GlobalTokens, config.RandomBlocks, causal, seed);
        BlockSparseAttention.TokenRule everyToken = (p, s) => ones_like(p * s, ScalarType.Bool);
        double scale = 1.0 / Math.Sqrt(q.shape[3]);
        var y = dense ? BlockSparseAttention.Dense(qp, kp, vp, pattern, everyToken, n, causal, scale)
                      : BlockSparseAttention.Attend(qp, kp, vp, pattern, everyToken, n, causal, scale);
        return y.narrow(2, 0, n).MoveToOuterDisposeScope();
    }

    /// <summary>Window, global and random key blocks per query block; the random ones avoid the window and global blocks.</summary>
    public static BlockPattern Pattern(long blocks, int blockSize, int globalTokens, int randomBlocks, bool causal, int seed)
    {
        long globalBlocks = Math.Min(blocks, (globalTokens + blockSize - 1) / blockSize);
        var rng = new Random(StableSeed.Of(seed, blocks));   // stable across processes, so a reloaded model has the same pattern
        var lists = new List<IReadOnlyList<long>>();
        for (long i = 0; i < blocks; i++)
        {
            var list = new List<long> { i - 1, i };
            if (!causal) list.Add(i + 1);
            for (long j = 0; j < globalBlocks; j++) list.Add(j);
            var candidates = new List<long>();
            for (long j = globalBlocks; j < (causal ? i - 1 : blocks); j++)
                if (Math.Abs(j - i) > 1) candidates.Add(j);
            for (int r = 0; r < randomBlocks; r++)
            {
                if (candidates.Count == 0) { list.Add(-1); continue; }   // a placeholder keeps every row the same width
                int pick = rng.Next(candidates.Count);
                list.Add(candidates[pick]);
                candidates.RemoveAt(pick);
            }

            lists.Add(list);
        }

        return BlockPattern.FromLists(blockSize, lists, globalBlocks * blockSize);
    }
}
