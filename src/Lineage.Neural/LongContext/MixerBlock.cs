using Lineage.Neural.Transformers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.LongContext;

/// <summary>Pre-norm block: x + mixer(norm(x)), then x + MLP(norm(x)); the MLP is 4·C wide with GELU.</summary>
public sealed class MixerBlock : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm ln_1;
    private readonly nn.Module<Tensor, Tensor> mixer;
    private readonly LayerNorm ln_2;
    private readonly FeedForward mlp;

    /// <summary>A block around a new mixer <paramref name="mixerId"/> (a <see cref="MixerRegistry"/> id) with <paramref name="settings"/>.</summary>
    public MixerBlock(string mixerId, MixerSettings settings) : base(nameof(MixerBlock))
    {
        ArgumentNullException.ThrowIfNull(settings);
        ln_1 = nn.LayerNorm(settings.Dim);
        mixer = MixerRegistry.Create(mixerId, settings);
        ln_2 = nn.LayerNorm(settings.Dim);
        mlp = new FeedForward(settings.Dim, 4 * settings.Dim, Activation.Gelu);
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
