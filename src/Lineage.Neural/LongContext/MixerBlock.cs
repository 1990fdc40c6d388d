using Lineage.Neural.Transformers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.LongContext;

/// <summary>
/// Pre-norm block: x + mixer(norm(x)), then x + MLP(norm(x)); the MLP is 4·C wide with GELU. With a short convolution
/// (kernel K > 0) the mixer reads a causal depthwise convolution of norm(x) over the last K positions instead: the
/// Based/Zoology <c>BaseConv</c> idea (Arora et al. 2024), which hands each position its predecessors' tokens, so that one
/// attention layer can match a query key against the key stored just before each value.
/// </summary>
public sealed class MixerBlock : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm ln_1;
    private readonly Conv1d? short_conv;
    private readonly nn.Module<Tensor, Tensor> mixer;
    private readonly LayerNorm? ln_2;
    private readonly FeedForward? mlp;

    /// <summary>A block around a new mixer <paramref name="mixerId"/> (a <see cref="MixerRegistry"/> id) with <paramref name="settings"/>.</summary>
    /// <param name="mixerId">A <see cref="MixerRegistry"/> id.</param>
    /// <param name="settings">The mixer's settings.</param>
    /// <param name="shortConv">Kernel of a causal depthwise convolution before the mixer (0: none).</param>
    /// <param name="withMlp">Whether an MLP follows the mixer (false: the mixer alone, as the Mamba paper's blocks and Zoology's figure-2 attention).</param>
    public MixerBlock(string mixerId, MixerSettings settings, int shortConv = 0, bool withMlp = true) : base(nameof(MixerBlock))
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfNegative(shortConv, nameof(shortConv));
        ln_1 = nn.LayerNorm(settings.Dim);
        ShortConv = shortConv;
        if (shortConv > 0) short_conv = nn.Conv1d(settings.Dim, settings.Dim, shortConv, groups: settings.Dim, padding: shortConv - 1);
        mixer = MixerRegistry.Create(mixerId, settings);
        if (withMlp)
        {
            ln_2 = nn.LayerNorm(settings.Dim);
            mlp = new FeedForward(settings.Dim, 4 * settings.Dim, Activation.Gelu);
        }

        RegisterComponents();
    }

    /// <summary>The mixer.</summary>
    public nn.Module<Tensor, Tensor> Mixer => mixer;

    /// <summary>Kernel of the short convolution before the mixer (0: none).</summary>
    public int ShortConv { get; }

    /// <summary>F of a reversible layer: mixer(norm(x)), or mixer(conv(norm(x))) with a short convolution.</summary>
    public Tensor MixBranch(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (short_conv is null) return mixer.forward(ln_1.forward(x));
        using var scope = NewDisposeScope();
        long t = x.shape[1];
        var u = short_conv.forward(ln_1.forward(x).transpose(1, 2)).narrow(2, 0, t).transpose(1, 2);   // left part of the full convolution: causal
        return mixer.forward(u.contiguous()).MoveToOuterDisposeScope();
    }

    /// <summary>Whether an MLP follows the mixer.</summary>
    public bool HasMlp => mlp is not null;

    /// <summary>G of a reversible layer: MLP(norm(x)); zeros in a block without an MLP.</summary>
    public Tensor MlpBranch(Tensor x) => mlp is null ? zeros_like(x) : mlp.forward(ln_2!.forward(x));

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        x = x + MixBranch(x);
        return (mlp is null ? x : x + MlpBranch(x)).MoveToOuterDisposeScope();
    }
}
