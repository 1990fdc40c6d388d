using Lineage.Neural.Attention;
using Lineage.Neural.Core;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lineage.Neural.LongContext;

/// <summary>
/// Dense attention: softmax(Q Kᵀ/√D + mask) V. The baseline builds and keeps the n × n scores (the written-out
/// <see cref="AttentionKernel.Naive"/> of the transformers chapter), so its memory is O(n²) as in the papers' comparisons;
/// <see cref="AttentionKernel.Sdpa"/> switches to libtorch's fused kernel, which on the CPU is itself tiled (the
/// attention-kernels chapter) and needs no n × n storage, though its time stays O(n²); <see cref="AttentionKernel.Flash"/>
/// to Lineage's hand-written FlashAttention (the <c>flash</c> mixer: the same function, O(n) memory, O(n²) time).
/// </summary>
[Model("full-attention", Paper = "Vaswani et al. 2017")]
[Mixer("full", Order = 0)]
public sealed class FullAttentionMixer : AttentionMixerBase
{
    private readonly Linear q;
    private readonly Linear k;
    private readonly Linear v;
    private readonly Linear o;

    /// <summary>A tiny seeded mixer and a fixed batch of token vectors, for the registry's conformance tests.</summary>
    public static ModelSample Conformance() => MixerSamples.Of(settings => new FullAttentionMixer(settings), seed: 31);

    /// <summary>Dense multi-head attention with these settings.</summary>
    public FullAttentionMixer(MixerSettings settings) : base(nameof(FullAttentionMixer), settings)
    {
        q = nn.Linear(settings.Dim, settings.Dim);
        k = nn.Linear(settings.Dim, settings.Dim);
        v = nn.Linear(settings.Dim, settings.Dim);
        o = nn.Linear(settings.Dim, settings.Dim);
        RegisterComponents();
    }

    /// <summary>The <c>flash</c> mixer: this one with the <see cref="AttentionKernel.Flash"/> kernel (the same function, computed tile by tile, O(n) memory; Dao et al. 2022).</summary>
    [Mixer("flash", Order = 7)]
    public static FullAttentionMixer Flash(MixerSettings settings) => new(settings) { Kernel = AttentionKernel.Flash };

    /// <summary>Which computation runs (default: the written-out n × n one).</summary>
    public AttentionKernel Kernel { get; set; } = AttentionKernel.Naive;

    /// <summary>
    /// The kernel's own terms (<see cref="AttentionKernel.SelfAttendBytes"/>: written out, about 8 float (B, H, n, n)
    /// tensors; fused, none; Flash, each row's statistics) plus the projections and their gradients, O(n).
    /// </summary>
    public override long EstimateBytes(long batch, long n) => Kernel.SelfAttendBytes(batch, Settings.Heads, n) + 16L * 4 * batch * n * Settings.Dim;

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        MixerInput.Check(x, Settings.Dim, "Full attention");
        if (x.shape[1] == 0) return Empty(x);
        MemoryGuard.Check("Full attention", x.shape[0], x.shape[1], EstimateBytes(x.shape[0], x.shape[1]));
        using var scope = NewDisposeScope();
        var (qh, kh, vh) = (Heads(q.forward(x)), Heads(k.forward(x)), Heads(v.forward(x)));              // (B, H, T, D)
        var y = Kernel.SelfAttend(qh, kh, vh, Causal);
        return o.forward(Merge(y)).MoveToOuterDisposeScope();
    }
}
