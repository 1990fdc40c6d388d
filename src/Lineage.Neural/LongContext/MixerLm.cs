using Lineage.Neural.Transformers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.LongContext;

/// <summary>Size of a <see cref="MixerLm"/>.</summary>
/// <param name="Mixer">Which mixer every layer uses: a <see cref="MixerRegistry"/> id.</param>
/// <param name="Mixing">The mixer settings (Dim is the model width) and the mixers' own options.</param>
/// <param name="Layers">Blocks.</param>
/// <param name="VocabSize">Tokens (256 for bytes).</param>
/// <param name="Reversible">Reversible residual layers (Reformer): activations recomputed in the backward pass.</param>
/// <param name="ShortConv">Kernel of a causal depthwise convolution before every mixer (0: none; see <see cref="MixerBlock"/>): what made MQAR learnable (docs/long-context.md).</param>
/// <param name="Mlp">An MLP after every mixer (false: the mixer alone, as Mamba's blocks).</param>
/// <param name="Positions">Sinusoidal positions added to the embeddings (false: none, as Zoology's and Mamba's models).</param>
public sealed record MixerLmConfig(string Mixer, MixerSettings Mixing, int Layers = 2, int VocabSize = 256, bool Reversible = false, int ShortConv = 0,
    bool Mlp = true, bool Positions = true)
{
    /// <summary>Small enough for unit tests.</summary>
    public static MixerLmConfig Tiny(string mixer) => new(mixer, MixerSettings.Tiny(), Layers: 2);
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
    /// <exception cref="ArgumentException">An unknown mixer, or a non-causal one (Linformer) as a language model.</exception>
    public MixerLm(MixerLmConfig config) : base(nameof(MixerLm))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Mixing.Validate();
        var mixer = MixerRegistry.Get(config.Mixer);
        if (!config.Mixing.Causal || !mixer.CanBeCausal)
            throw new ArgumentException($"A language model needs a causal mixer; {mixer.Id} {mixer.NotCausal ?? "was configured with Causal = false."}", nameof(config));

        ArgumentOutOfRangeException.ThrowIfLessThan(config.Layers, 1, nameof(config.Layers));
        ArgumentOutOfRangeException.ThrowIfNegative(config.ShortConv, nameof(config.ShortConv));
        Config = config;
        wte = nn.Embedding(config.VocabSize, config.Mixing.Dim);
        h = nn.ModuleList([.. Enumerable.Range(0, config.Layers).Select(i => new MixerBlock(mixer.Id, config.Mixing with { Seed = config.Mixing.Seed + 7919 * i }, config.ShortConv, config.Mlp))]);
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

    /// <summary>Token embeddings plus sinusoidal positions (B, T, C); the embeddings alone without <see cref="MixerLmConfig.Positions"/>.</summary>
    public Tensor Embed(Tensor idx)
    {
        ArgumentNullException.ThrowIfNull(idx);
        if (!Config.Positions) return wte.forward(idx);
        using var pos = SinusoidalPositions.Encode(idx.shape[1], Config.Mixing.Dim, device: idx.device);
        return wte.forward(idx) + pos * PositionScale;
    }

    /// <summary>Final norm and tied logits.</summary>
    public Tensor Head(Tensor x) => TiedEmbeddings.Logits(ln_f.forward(x), wte.weight!);
}
