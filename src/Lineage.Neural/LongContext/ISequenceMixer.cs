// One interface for a sequence mixer, the settings every mixer draws from, a guard that refuses requests that would
// not fit in memory, the dense full-attention baseline, and a small decoder language model that takes any mixer.
//
// Lineage: the transformer block is "mix across positions, then mix across channels". Every model of this chapter
//          keeps the second half (the same MLP, norms, embeddings and sizes) and swaps the first: dense attention
//          (the O(n²) baseline), banded attention (Longformer), block-sparse attention (BigBird), hashed attention
//          (Reformer), low-rank attention (Linformer), long convolutions (Hyena) or a selective scan (Mamba).
// Shapes:  B batch, T (or n) tokens, C channels, H heads, D = C / H.
// Deviations: positions are fixed sinusoids (amplitude 0.1) added to the byte embeddings (N(0, 0.02²), GPT-2's) for every mixer (Hyena and Mamba would not
//          need them; attention would otherwise see order only through the causal mask), so the models differ only
//          in the mixer.
using Lineage.Neural.Transformers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.LongContext;

/// <summary>The mixers of the long-context chapter.</summary>
public enum MixerKind
{
    /// <summary>Dense softmax attention over all (causal) pairs: the O(n²) baseline.</summary>
    Full,
    /// <summary>Sliding window plus global tokens (Beltagy et al. 2020).</summary>
    Longformer,
    /// <summary>Window plus global plus random blocks (Zaheer et al. 2020).</summary>
    BigBird,
    /// <summary>LSH attention over sorted chunks (Kitaev et al. 2020).</summary>
    Reformer,
    /// <summary>Keys and values projected along the sequence to k rows (Wang et al. 2020); not causal.</summary>
    Linformer,
    /// <summary>Implicit long convolutions with gating (Poli et al. 2023).</summary>
    Hyena,
    /// <summary>Selective state space with a scan (Gu &amp; Dao 2023).</summary>
    Mamba,
    /// <summary>Dense attention, exact, through Lineage's FlashAttention kernel: tiles and an online softmax, O(n) memory (Dao et al. 2022).</summary>
    Flash,
}

/// <summary>A module that mixes information across positions: (B, T, C) in, (B, T, C) out.</summary>
public interface ISequenceMixer
{
    /// <summary>Which mixer this is.</summary>
    MixerKind Kind { get; }

    /// <summary>Whether position t sees only positions ≤ t (a language model needs this).</summary>
    bool Causal { get; }

    /// <summary>Estimated bytes of the activations of forward + backward for a (batch, n) input: what a run allocates beyond the weights.</summary>
    long EstimateBytes(long batch, long n);
}

/// <summary>Settings shared by the mixers; each reads the fields that concern it.</summary>
/// <param name="Dim">Model width C.</param>
/// <param name="Heads">Attention heads H (attention mixers), C divisible by H.</param>
/// <param name="Causal">Token t sees only tokens ≤ t.</param>
/// <param name="Window">Longformer: each token sees this many neighbours on each side (before it when causal); also its block size.</param>
/// <param name="GlobalTokens">Longformer and BigBird: the first this many positions are global (BigBird rounds up to whole blocks).</param>
/// <param name="Block">BigBird: block size.</param>
/// <param name="RandomBlocks">BigBird: random key blocks per query block.</param>
/// <param name="Chunk">Reformer: chunk length of the sorted sequence.</param>
/// <param name="Buckets">Reformer: hash buckets (even); 0 picks 2·⌈n / Chunk⌉ per sequence, the paper's rule.</param>
/// <param name="Rounds">Reformer: hashing rounds.</param>
/// <param name="ProjectedLength">Linformer: k, the length keys and values are projected to.</param>
/// <param name="MaxLength">Linformer: the longest sequence (E and F have this many columns).</param>
/// <param name="FilterFeatures">Hyena: positional features fed to the filter network (sines and cosines plus t).</param>
/// <param name="FilterHidden">Hyena: width of the filter network.</param>
/// <param name="StateDim">Mamba: N, the state size per channel.</param>
/// <param name="Expand">Mamba: the inner width is Expand·C.</param>
/// <param name="ConvKernel">Mamba and Hyena: length of the short causal depthwise convolution.</param>
/// <param name="ScanChunk">Mamba: chunk length of the parallel scan.</param>
/// <param name="Seed">Seeds the fixed random choices (BigBird's random blocks, Reformer's rotations).</param>
public sealed record MixerConfig(int Dim, int Heads = 4, bool Causal = true, int Window = 32, int GlobalTokens = 4, int Block = 16,
    int RandomBlocks = 2, int Chunk = 32, int Buckets = 0, int Rounds = 2, int ProjectedLength = 64, int MaxLength = 1024,
    int FilterFeatures = 9, int FilterHidden = 32, int StateDim = 8, int Expand = 2, int ConvKernel = 4, int ScanChunk = 16, int Seed = 1)
{
    /// <summary>Small enough for unit tests.</summary>
    public static MixerConfig Tiny(bool causal = true) => new(Dim: 16, Heads: 2, Causal: causal, Window: 4, GlobalTokens: 2, Block: 4,
        RandomBlocks: 1, Chunk: 4, Buckets: 4, Rounds: 2, ProjectedLength: 8, MaxLength: 64, FilterFeatures: 5, FilterHidden: 16,
        StateDim: 4, Expand: 2, ConvKernel: 3, ScanChunk: 4);

    /// <summary>Returns these settings, or throws naming the bad field.</summary>
    public MixerConfig Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Dim, 1, nameof(Dim));
        ArgumentOutOfRangeException.ThrowIfLessThan(Heads, 1, nameof(Heads));
        if (Dim % Heads != 0) throw new ArgumentException($"Dim ({Dim}) must be divisible by Heads ({Heads}).", nameof(Heads));
        ArgumentOutOfRangeException.ThrowIfLessThan(Window, 1, nameof(Window));
        ArgumentOutOfRangeException.ThrowIfNegative(GlobalTokens, nameof(GlobalTokens));
        ArgumentOutOfRangeException.ThrowIfLessThan(Block, 1, nameof(Block));
        ArgumentOutOfRangeException.ThrowIfNegative(RandomBlocks, nameof(RandomBlocks));
        ArgumentOutOfRangeException.ThrowIfLessThan(Chunk, 1, nameof(Chunk));
        if (Buckets < 0 || Buckets % 2 != 0) throw new ArgumentException($"Buckets must be 0 (automatic) or a positive even number; got {Buckets}.", nameof(Buckets));
        ArgumentOutOfRangeException.ThrowIfLessThan(Rounds, 1, nameof(Rounds));
        ArgumentOutOfRangeException.ThrowIfLessThan(ProjectedLength, 1, nameof(ProjectedLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxLength, 1, nameof(MaxLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(FilterFeatures, 1, nameof(FilterFeatures));
        ArgumentOutOfRangeException.ThrowIfLessThan(FilterHidden, 1, nameof(FilterHidden));
        ArgumentOutOfRangeException.ThrowIfLessThan(StateDim, 1, nameof(StateDim));
        ArgumentOutOfRangeException.ThrowIfLessThan(Expand, 1, nameof(Expand));
        ArgumentOutOfRangeException.ThrowIfLessThan(ConvKernel, 1, nameof(ConvKernel));
        ArgumentOutOfRangeException.ThrowIfLessThan(ScanChunk, 1, nameof(ScanChunk));
        return this;
    }
}

/// <summary>Refuses a request whose estimated activation memory exceeds a limit, with the estimate in the message.</summary>
public static class MemoryGuard
{
    /// <summary>The limit in bytes; default half of the memory available to the process.</summary>
    public static long LimitBytes { get; set; } = Math.Max(1L << 30, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2);

    /// <summary>Throws <see cref="InsufficientMemoryException"/> when <paramref name="bytes"/> exceed <see cref="LimitBytes"/>.</summary>
    public static void Check(string what, long batch, long n, long bytes)
    {
        if (bytes > LimitBytes)
        {
            throw new InsufficientMemoryException(
                $"{what} at batch {batch} and n = {n} needs an estimated {Gib(bytes)} of activations for forward + backward, " +
                $"more than the limit of {Gib(LimitBytes)} (MemoryGuard.LimitBytes); use a shorter sequence or another mixer.");
        }
    }

    /// <summary>Bytes as GiB with two decimals.</summary>
    public static string Gib(long bytes) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.00} GiB");
}

/// <summary>Input checks shared by the mixers.</summary>
internal static class MixerInput
{
    /// <summary>Throws unless x is floating point (B, T, C) with the given C; T may be 0.</summary>
    public static void Check(Tensor x, int dim, string mixer)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 3 || x.shape[2] != dim || !x.is_floating_point())
        {
            throw new ArgumentException($"{mixer} expects a floating-point (B, T, {dim}) input; got {x.dtype} ({string.Join(", ", x.shape)}).", nameof(x));
        }
    }

    /// <summary>Pads the time axis of (B, H, T, D) with zeros to a multiple of <paramref name="multiple"/>.</summary>
    public static Tensor PadTime(Tensor t, long multiple)
    {
        long n = t.shape[2], padded = (n + multiple - 1) / multiple * multiple;
        return padded == n ? t.alias() : nn.functional.pad(t, [0, 0, 0, padded - n]);
    }
}

/// <summary>Attention projections shared by the attention mixers: q, k, v (or shared qk), o, split into heads.</summary>
public abstract class AttentionMixerBase : nn.Module<Tensor, Tensor>, ISequenceMixer
{
    /// <summary>Builds the settings; derived classes create the projections and call RegisterComponents.</summary>
    protected AttentionMixerBase(string name, MixerConfig config) : base(name)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Validate();
        HeadDim = config.Dim / config.Heads;
    }

    /// <summary>The settings.</summary>
    public MixerConfig Config { get; }

    /// <summary>D = C / H.</summary>
    protected int HeadDim { get; }

    /// <inheritdoc />
    public abstract MixerKind Kind { get; }

    /// <inheritdoc />
    public bool Causal => Config.Causal;

    /// <inheritdoc />
    public abstract long EstimateBytes(long batch, long n);

    /// <summary>(B, T, C) → (B, H, T, D).</summary>
    protected Tensor Heads(Tensor t) => t.reshape(t.shape[0], t.shape[1], Config.Heads, HeadDim).transpose(1, 2);

    /// <summary>(B, H, T, D) → (B, T, C).</summary>
    protected Tensor Merge(Tensor t) => t.transpose(1, 2).reshape(t.shape[0], t.shape[2], Config.Dim);

    /// <summary>An empty (B, 0, C) output for an empty input.</summary>
    protected static Tensor Empty(Tensor x) => zeros_like(x);
}

/// <summary>
/// Dense attention: softmax(Q Kᵀ/√D + mask) V. The baseline builds and keeps the n × n scores (the written-out
/// <see cref="AttentionKernel.Naive"/> of the transformers chapter), so its memory is O(n²) as in the papers' comparisons;
/// <see cref="AttentionKernel.Sdpa"/> switches to libtorch's fused kernel, which on the CPU is itself tiled (the
/// attention-kernels chapter) and needs no n × n storage, though its time stays O(n²); <see cref="AttentionKernel.Flash"/>
/// to Lineage's hand-written FlashAttention (the <c>flash</c> mixer: the same function, O(n) memory, O(n²) time).
/// </summary>
public sealed class FullAttentionMixer : AttentionMixerBase
{
    private readonly Linear q;
    private readonly Linear k;
    private readonly Linear v;
    private readonly Linear o;

    /// <summary>Dense multi-head attention with these settings.</summary>
    public FullAttentionMixer(MixerConfig config) : base(nameof(FullAttentionMixer), config)
    {
        q = nn.Linear(config.Dim, config.Dim);
        k = nn.Linear(config.Dim, config.Dim);
        v = nn.Linear(config.Dim, config.Dim);
        o = nn.Linear(config.Dim, config.Dim);
        RegisterComponents();
    }

    /// <summary><see cref="MixerKind.Flash"/> with the <see cref="AttentionKernel.Flash"/> kernel (the same function, computed tile by tile), else <see cref="MixerKind.Full"/>.</summary>
    public override MixerKind Kind => Kernel == AttentionKernel.Flash ? MixerKind.Flash : MixerKind.Full;

    /// <summary>Which computation runs (default: the written-out n × n one).</summary>
    public AttentionKernel Kernel { get; set; } = AttentionKernel.Naive;

    /// <summary>
    /// Written out: mask, scores, masked scores, weights and their gradients, at the peak of forward + backward about 8 float
    /// (B, H, n, n) tensors (measured: 4.0 GiB growth at n = 8,192 with 2 heads, 8 × 512 MiB); fused and Flash: O(n)
    /// (projections and their gradients; Flash also keeps each row's log-sum-exp and output statistics).
    /// </summary>
    public override long EstimateBytes(long batch, long n) =>
        (Kernel == AttentionKernel.Naive ? 8L * 4 * batch * Config.Heads * n * n : 0) + 16L * 4 * batch * n * Config.Dim
        + (Kernel == AttentionKernel.Flash ? 2L * 4 * batch * Config.Heads * n : 0);

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        MixerInput.Check(x, Config.Dim, "Full attention");
        if (x.shape[1] == 0) return Empty(x);
        MemoryGuard.Check("Full attention", x.shape[0], x.shape[1], EstimateBytes(x.shape[0], x.shape[1]));
        using var scope = NewDisposeScope();
        var (qh, kh, vh) = (Heads(q.forward(x)), Heads(k.forward(x)), Heads(v.forward(x)));              // (B, H, T, D)
        var y = Kernel switch
        {
            AttentionKernel.Naive => Attention.Naive(qh, kh, vh, Attention.Mask(x.shape[1], x.shape[1], null, Causal, null, qh.dtype, qh.device)),
            // The kernel's own workers, as many as libtorch may use (one in the tour's capped chapters, [ThreadCap(1, …)]).
            AttentionKernel.Flash => Attention.Flash(qh, kh, vh, Causal, threads: Math.Max(1, get_num_threads())),
            _ => nn.functional.scaled_dot_product_attention(qh, kh, vh, is_casual: Causal),
        };
        return o.forward(Merge(y)).MoveToOuterDisposeScope();
    }
}

/// <summary>Builds a mixer of any kind.</summary>
public static class Mixers
{
    /// <summary>A new mixer of <paramref name="kind"/> with <paramref name="config"/>.</summary>
    public static nn.Module<Tensor, Tensor> Create(MixerKind kind, MixerConfig config) => kind switch
    {
        MixerKind.Full => new FullAttentionMixer(config),
        MixerKind.Longformer => new LongformerMixer(config),
        MixerKind.BigBird => new BigBirdMixer(config),
        MixerKind.Reformer => new ReformerMixer(config),
        MixerKind.Linformer => new LinformerMixer(config),
        MixerKind.Hyena => new HyenaMixer(config),
        MixerKind.Mamba => new MambaMixer(config),
        MixerKind.Flash => new FullAttentionMixer(config) { Kernel = AttentionKernel.Flash },
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown mixer"),
    };

    /// <summary>Parses a CLI name (full, longformer, bigbird, reformer, linformer, hyena, mamba).</summary>
    /// <exception cref="ArgumentException">Not a known name; the message lists the known ones.</exception>
    public static MixerKind Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var kind in Enum.GetValues<MixerKind>())
            if (string.Equals(Name(kind), name.Trim(), StringComparison.OrdinalIgnoreCase)) return kind;
        throw new ArgumentException($"Unknown mixer '{name}'; known: {string.Join(", ", Enum.GetValues<MixerKind>().Select(Name))}.", nameof(name));
    }

    /// <summary>The lower-case CLI name.</summary>
    public static string Name(MixerKind kind) => kind.ToString().ToLowerInvariant();
}

/// <summary>Size of a <see cref="MixerLm"/>.</summary>
/// <param name="Mixer">Which mixer every layer uses.</param>
/// <param name="Mixing">The mixer settings (Dim is the model width).</param>
/// <param name="Layers">Blocks.</param>
/// <param name="VocabSize">Tokens (256 for bytes).</param>
/// <param name="Reversible">Reversible residual layers (Reformer): activations recomputed in the backward pass.</param>
public sealed record MixerLmConfig(MixerKind Mixer, MixerConfig Mixing, int Layers = 2, int VocabSize = 256, bool Reversible = false)
{
    /// <summary>Small enough for unit tests.</summary>
    public static MixerLmConfig Tiny(MixerKind mixer) => new(mixer, MixerConfig.Tiny(), Layers: 2);
}

/// <summary>Pre-norm block: x + mixer(norm(x)), then x + MLP(norm(x)); the MLP is 4·C wide with GELU.</summary>
public sealed class MixerBlock : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm ln_1;
    private readonly nn.Module<Tensor, Tensor> mixer;
    private readonly LayerNorm ln_2;
    private readonly FeedForward mlp;

    /// <summary>A block around a new mixer of <paramref name="kind"/>.</summary>
    public MixerBlock(MixerKind kind, MixerConfig config) : base(nameof(MixerBlock))
    {
        ArgumentNullException.ThrowIfNull(config);
        ln_1 = nn.LayerNorm(config.Dim);
        mixer = Mixers.Create(kind, config);
        ln_2 = nn.LayerNorm(config.Dim);
        mlp = new FeedForward(config.Dim, 4 * config.Dim, Activation.Gelu);
        RegisterComponents();
    }

    /// <summary>The mixer.</summary>
    public nn.Module<Tensor, Tensor> Mixer => mixer;

    /// <summary>F of a reversible layer: mixer(norm(x)).</summary>
    public Tensor MixBranch(Tensor x) => mixer.forward(ln_1.forward(x));

    /// <summary>G of a reversible layer: MLP(norm(x)).</summary>
    public Tensor MlpBranch(Tensor x) => mlp.forward(ln_2.forward(x));

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        x = x + MixBranch(x);
        return (x + MlpBranch(x)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// A byte-level decoder language model that takes any mixer: byte embeddings plus sinusoidal positions, a stack of
/// <see cref="MixerBlock"/>s (or, when reversible, the same blocks as reversible layers), a final LayerNorm and logits
/// tied to the embedding. Only the mixer differs between the chapter's models.
/// </summary>
public sealed class MixerLm : nn.Module<Tensor, Tensor>
{
    private readonly Embedding wte;
    private readonly ModuleList<MixerBlock> h;
    private readonly LayerNorm ln_f;

    /// <summary>A randomly initialised model.</summary>
    /// <exception cref="ArgumentException">A non-causal mixer (Linformer) as a language model.</exception>
    public MixerLm(MixerLmConfig config) : base(nameof(MixerLm))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Mixing.Validate();
        if (!config.Mixing.Causal || config.Mixer == MixerKind.Linformer)
        {
            throw new ArgumentException($"A language model needs a causal mixer; {Mixers.Name(config.Mixer)}" +
                (config.Mixer == MixerKind.Linformer ? " projects along the whole sequence, so every position would see the future." : " was configured with Causal = false."), nameof(config));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(config.Layers, 1, nameof(config.Layers));
        Config = config;
        wte = nn.Embedding(config.VocabSize, config.Mixing.Dim);
        h = nn.ModuleList([.. Enumerable.Range(0, config.Layers).Select(i => new MixerBlock(config.Mixer, config.Mixing with { Seed = config.Mixing.Seed + 7919 * i }))]);
        ln_f = nn.LayerNorm(config.Mixing.Dim);
        RegisterComponents();
        using (no_grad()) nn.init.normal_(wte.weight!, 0, 0.02);   // GPT-2's scale: tied logits start near uniform (8 bits per byte)
    }

    /// <summary>Amplitude of the fixed sinusoidal positions added to the embeddings.</summary>
    public const float PositionScale = 0.1f;

    /// <summary>The size.</summary>
    public MixerLmConfig Config { get; }

    /// <summary>The blocks, in order.</summary>
    public IReadOnlyList<MixerBlock> Blocks => [.. h];

    /// <summary>Next-token logits (B, T, V) for token ids (B, T).</summary>
    /// <exception cref="ArgumentException">Ids out of the vocabulary or an empty sequence.</exception>
    public override Tensor forward(Tensor idx)
    {
        TokenIds.Check(idx, Config.VocabSize, nameof(idx));
        using var scope = NewDisposeScope();
        return ForwardEmbedded(Embed(idx)).MoveToOuterDisposeScope();
    }

    /// <summary>Logits (B, T, V) from embedded inputs (B, T, C): the blocks, the final norm and the tied head.</summary>
    public Tensor ForwardEmbedded(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var scope = NewDisposeScope();
        x = Config.Reversible ? Reversible.Stack(x, [.. h]) : h.Aggregate(x, (current, block) => block.forward(current));
        return Head(x).MoveToOuterDisposeScope();
    }

    /// <summary>Token embeddings plus sinusoidal positions (B, T, C).</summary>
    public Tensor Embed(Tensor idx)
    {
        ArgumentNullException.ThrowIfNull(idx);
        using var pos = SinusoidalPositions.Encode(idx.shape[1], Config.Mixing.Dim, device: idx.device);
        return wte.forward(idx) + pos * PositionScale;
    }

    /// <summary>Final norm and tied logits.</summary>
    public Tensor Head(Tensor x) => TiedEmbeddings.Logits(ln_f.forward(x), wte.weight!);
}
