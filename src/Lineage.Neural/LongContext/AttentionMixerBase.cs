using static TorchSharp.torch;

namespace Lineage.Neural.LongContext;

/// <summary>Attention projections shared by the attention mixers: q, k, v (or shared qk), o, split into heads.</summary>
public abstract class AttentionMixerBase : nn.Module<Tensor, Tensor>, ISequenceMixer
{
    /// <summary>Checks the settings; derived classes create the projections and call RegisterComponents.</summary>
    protected AttentionMixerBase(string name, MixerSettings settings) : base(name)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Settings = settings.Validate();
        HeadDim = settings.Dim / settings.Heads;
    }

    /// <summary>The shared settings (width, heads, causal, seed).</summary>
    public MixerSettings Settings { get; }

    /// <summary>D = C / H.</summary>
    protected int HeadDim { get; }

    /// <inheritdoc />
    public bool Causal => Settings.Causal;

    /// <inheritdoc />
    public abstract long EstimateBytes(long batch, long n);

    /// <summary>(B, T, C) → (B, H, T, D).</summary>
    protected Tensor Heads(Tensor t) => t.reshape(t.shape[0], t.shape[1], Settings.Heads, HeadDim).transpose(1, 2);

    /// <summary>(B, H, T, D) → (B, T, C).</summary>
    protected Tensor Merge(Tensor t) => t.transpose(1, 2).reshape(t.shape[0], t.shape[2], Settings.Dim);

    /// <summary>An empty (B, 0, C) output for an empty input.</summary>
    protected static Tensor Empty(Tensor x) => zeros_like(x);
}
