// ByteNet decoder: a byte-level language model built from dilated causal 1-D convolutions.
//
// Paper:   Kalchbrenner, Espeholt, Simonyan, van den Oord, Graves & Kavukcuoglu 2016, "Neural Machine Translation
//          in Linear Time", arXiv:1610.10099 (§3.1 dilation, §3.2 masking, §3.5 residual blocks, Fig. 3 left).
// Lineage: an RNN must run its T steps one after another, in training too. A stack of causal convolutions sees a
//          fixed window instead, but computes every position at once, so training parallelises over time; doubling
//          dilations (1, 2, 4, 8, 16) make the window grow exponentially with depth (WaveNet, van den Oord et al. 2016).
// Shapes:  B batch, T bytes, C = 2d residual channels, d inner channels, V = 256 byte values, k kernel width.
// Receptive field: 1 + R·Σ_i (k − 1)·dilation_i for R repeats of the dilation set; 1 + 2·2·31 = 125 bytes with
//          the defaults. The output at t depends on bytes t − RF + 1 … t and nothing later (tests check both).
// Deviations: decoder only (no source encoder, no dynamic unfolding: this is the paper's language-model setting,
//          §5 "character-level language modelling" on Hutter Prize Wikipedia); smaller sizes.
using Lineage.Neural.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.Sequence;

/// <summary>Hyper-parameters of <see cref="ByteNet"/>; part of the model-cache key and the checkpoint.</summary>
/// <param name="Channels">2d: residual width (the paper's 2d = 1024; ours is CPU-sized).</param>
/// <param name="Dilations">One set of dilations, repeated <paramref name="Repeats"/> times (paper: 1, 2, 4, 8, 16).</param>
/// <param name="Repeats">How many times the dilation set is stacked.</param>
/// <param name="KernelSize">k: width of the masked (causal) convolution (paper: 3).</param>
/// <param name="VocabSize">V: 256 byte values.</param>
public sealed record ByteNetConfig(int Channels = 128, int[]? Dilations = null, int Repeats = 2, int KernelSize = 3, int VocabSize = 256)
{
    /// <summary>The paper's dilation set.</summary>
    public static readonly int[] PaperDilations = [1, 2, 4, 8, 16];

    /// <summary>Dilations actually used, in order: the set repeated.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<int> Schedule => Enumerable.Repeat(Dilations ?? PaperDilations, Repeats).SelectMany(d => d).ToArray();

    /// <summary>Bytes the output at t can see: 1 + Σ (k − 1)·dilation over all blocks.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int ReceptiveField => 1 + Schedule.Sum(d => (KernelSize - 1) * d);

    /// <summary>Small enough for a unit test.</summary>
    public static ByteNetConfig Tiny => new(Channels: 8, Dilations: [1, 2, 4], Repeats: 2);

    /// <summary>Returns this config, or throws naming the bad field.</summary>
    public ByteNetConfig Validate()
    {
        if (Channels < 2 || Channels % 2 != 0) throw new ArgumentOutOfRangeException(nameof(Channels), Channels, "must be an even number ≥ 2 (2d)");
        ArgumentOutOfRangeException.ThrowIfLessThan(Repeats, 1, nameof(Repeats));
        ArgumentOutOfRangeException.ThrowIfLessThan(KernelSize, 1, nameof(KernelSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(VocabSize, 2, nameof(VocabSize));
        if (Dilations is { } ds && (ds.Length == 0 || ds.Any(d => d < 1)))
            throw new ArgumentOutOfRangeException(nameof(Dilations), string.Join(",", ds), "must be a non-empty list of positive dilations");
        return this;
    }
}

/// <summary>
/// ByteNet's residual block (paper Fig. 3, left): LayerNorm → ReLU → 1×1 conv (2d → d) → LayerNorm → ReLU →
/// masked dilated 1×k conv (d → d) → LayerNorm → ReLU → 1×1 conv (d → 2d), added to the input.
/// </summary>
internal sealed class ByteNetBlock : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm ln_1, ln_2, ln_3;
    private readonly Linear reduce;     // 1×1 conv, 2d → d (a Linear over channels: the same map, one GEMM)
    private readonly Conv1d masked;     // 1×k dilated, d → d, made causal by left padding
    private readonly Linear expand;     // 1×1 conv, d → 2d
    private readonly long _leftPad;
    private readonly long _dilation;

    public ByteNetBlock(int channels, int kernelSize, int dilation) : base(nameof(ByteNetBlock))
    {
        int d = channels / 2;
        ln_1 = nn.LayerNorm(channels);
        reduce = nn.Linear(channels, d);
        ln_2 = nn.LayerNorm(d);
        masked = nn.Conv1d(d, d, kernelSize, dilation: dilation);
        ln_3 = nn.LayerNorm(d);
        expand = nn.Linear(d, channels);
        _leftPad = (long)(kernelSize - 1) * dilation;
        _dilation = dilation;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)                                     // x: (B, T, 2d)
    {
        var y = ln_2.forward(reduce.forward(ln_1.forward(x).relu())).relu();   // (B, T, d)
        y = nn.functional.pad(y.transpose(1, 2), [_leftPad, 0]);                // (B, d, (k−1)·dilation + T): zeros before t = 0
        y = MaskedConvolution(y);                                               // (B, T, d): position t sees t − (k−1)·dilation … t
        return x + expand.forward(ln_3.forward(y).relu());                      // (B, T, 2d)
    }

    // The dilated convolution as the sum of its k taps, each a matrix product with the conv's own weight (so checkpoints
    // are unchanged): libtorch 2.x's CPU conv1d backward gave NaN input gradients now and then for these shapes (measured
    // 2026-12-05: the same seed and batch diverged in about 1 of 40 to 1 of 2 runs of an 8-step test, the NaN entering at
    // the first block's conv input), while this form is deterministic.
    private Tensor MaskedConvolution(Tensor padded) => ByteNet.DilatedConvolution(padded, masked.weight!, masked.bias, _dilation);
}

/// <summary>ByteNet decoder as a byte-level language model: byte ids (B, T) → next-byte logits (B, T, V).</summary>
/// <remarks><see href="https://arxiv.org/abs/1610.10099">Kalchbrenner et al. 2016</see>. Fixes the RNN's
/// sequential training: all T positions are computed in parallel; the cost is a fixed receptive field.</remarks>
[Model("bytenet", Paper = "Kalchbrenner et al. 2016")]
public sealed class ByteNet : nn.Module<Tensor, Tensor>, IHiddenStates
{
    private readonly Embedding embed;                   // (V, 2d)
    private readonly ModuleList<ByteNetBlock> blocks;
    private readonly LayerNorm ln_f;
    private readonly Linear head;                       // 2d → V

    /// <summary>A tiny seeded ByteNet and a fixed batch of bytes, for the registry's conformance tests.</summary>
    public static ModelSample Conformance()
    {
        manual_seed(18);
        var bytes = randint(0, 256, [2, 12]);
        return new(new ByteNet(ByteNetConfig.Tiny), m => ((ByteNet)m).forward(bytes));
    }

    /// <summary>Creates the model (seed with torch.manual_seed first).</summary>
    public ByteNet(ByteNetConfig config) : base(nameof(ByteNet))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Validate();
        embed = nn.Embedding(config.VocabSize, config.Channels);
        blocks = nn.ModuleList(config.Schedule.Select(d => new ByteNetBlock(config.Channels, config.KernelSize, d)).ToArray());
        ln_f = nn.LayerNorm(config.Channels);
        head = nn.Linear(config.Channels, config.VocabSize);
        RegisterComponents();
    }

    /// <summary>Sizes.</summary>
    public ByteNetConfig Config { get; }

    /// <summary>Next-byte logits (B, T, V) for byte ids (B, T), int64.</summary>
    /// <exception cref="ArgumentException">Not a non-empty 2-D int64 tensor.</exception>
    public override Tensor forward(Tensor bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.dim() != 2 || bytes.dtype != ScalarType.Int64 || bytes.shape[1] == 0)
            throw new ArgumentException($"ByteNet input must be non-empty int64 (B, T) byte ids, not {bytes.dtype} ({string.Join(", ", bytes.shape)}).", nameof(bytes));
        return ForwardEmbedded(embed.forward(bytes));
    }

    /// <summary>The network after the embedding: (B, T, 2d) → logits (B, T, V). Exposed for the receptive-field test.</summary>
    public Tensor ForwardEmbedded(Tensor embedded) => head.forward(States(embedded));   // (B, T, V)

    /// <summary>
    /// conv1d without padding, as one GEMM: (B, d_in, (k − 1)·dilation + T) and a (d_out, d_in, k) weight → (B, T, d_out).
    /// The k dilated taps are stacked and multiplied as (B·T, d_in·k) · (d_in·k, d_out): the same sum as the
    /// einsum("bitk,oik->bto") it replaced on 2026-12-07, with the contraction spelled out (the same losses to every digit
    /// in a 15-step training; speed within this machine's noise).
    /// </summary>
    public static Tensor DilatedConvolution(Tensor padded, Tensor weight, Tensor? bias, long dilation)
    {
        ArgumentNullException.ThrowIfNull(padded);
        ArgumentNullException.ThrowIfNull(weight);
        long b = padded.shape[0], dIn = weight.shape[1], dOut = weight.shape[0], k = weight.shape[2];
        long time = padded.shape[2] - ((k - 1) * dilation);
        var taps = new Tensor[k];
        for (int j = 0; j < k; j++) taps[j] = padded.narrow(2, j * dilation, time);
        var stacked = torch.stack(taps, dim: 3).permute(0, 2, 1, 3).reshape(b * time, dIn * k);              // (B·T, d_in·k)
        var y = stacked.matmul(weight.permute(1, 2, 0).reshape(dIn * k, dOut)).reshape(b, time, dOut);         // (B, T, d_out)
        return bias is null ? y : y + bias;
    }

    /// <inheritdoc />
    public int HiddenSize => Config.Channels;

    /// <inheritdoc />
    public int? MaxLength => null;

    /// <summary>What the head reads (B, T, 2d) for byte ids (B, T): the last block's output, normalised and rectified.</summary>
    /// <exception cref="ArgumentException">Not a non-empty 2-D int64 tensor.</exception>
    public Tensor Hidden(Tensor ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.dim() != 2 || ids.dtype != ScalarType.Int64 || ids.shape[1] == 0)
            throw new ArgumentException($"ByteNet input must be non-empty int64 (B, T) byte ids, not {ids.dtype} ({string.Join(", ", ids.shape)}).", nameof(ids));
        using var scope = NewDisposeScope();
        return States(embed.forward(ids)).MoveToOuterDisposeScope();
    }

    private Tensor States(Tensor embedded)
    {
        ArgumentNullException.ThrowIfNull(embedded);
        var x = embedded;                                                       // (B, T, 2d)
        foreach (var block in blocks) x = block.forward(x);
        return ln_f.forward(x).relu();                                          // (B, T, 2d)
    }
}
