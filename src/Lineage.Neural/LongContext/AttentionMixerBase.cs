using static TorchSharp.torch;

namespace Lineage.Neural.LongContext;

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
