// Lineage's FlashAttention kernel (FlashAttention.cs) as the models call it: causal or unmasked, no mask tensor, no
// dropout; FA2's forward (flash), or FA1's (flash1, Flash1Kernel.cs) with the same backward.
using static TorchSharp.torch;

namespace Lineage.Neural.Attention;

/// <summary>Lineage's FlashAttention kernel: tiles and an online softmax, O(n) memory; causal or unmasked only, no attention dropout.</summary>
[Kernel("flash", Order = 2, Note = "FA2")]
public class FlashKernel : AttentionKernel
{
    /// <summary>Which forward pass the kernel runs (the backward is the same).</summary>
    protected virtual FlashAlgorithm Algorithm => FlashAlgorithm.Fa2;

    /// <exception cref="NotSupportedException">A mask tensor (the kernel knows causal or unmasked attention only), or dropout.</exception>
    public override Tensor Compute(Tensor q, Tensor k, Tensor v, Tensor? mask, double dropout, double? scale) =>
        Run(q, k, v, mask is null ? false : throw new NotSupportedException(
            "The Flash kernel takes no mask tensor: it knows causal or unmasked attention only (use MultiHeadAttention's causal flag)."), dropout, scale, threads: 0);

    /// <summary>The causal flag goes to the kernel itself; no mask tensor is built.</summary>
    /// <exception cref="NotSupportedException">Padding or a position bias, or dropout.</exception>
    public override Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor? keyPadding, bool causal, Tensor? bias, double dropout, double? scale)
    {
        if (keyPadding is not null || bias is not null) throw new NotSupportedException("The Flash kernel supports causal or unmasked attention only, not padding masks or position biases.");
        return Run(q, k, v, causal, dropout, scale, threads: 0);
    }

    /// <summary>The kernel's own workers, as many as libtorch may use (one in the tour's capped chapters, [ThreadCap(1, …)]).</summary>
    public override Tensor SelfAttend(Tensor q, Tensor k, Tensor v, bool causal) => Run(q, k, v, causal, 0, null, threads: Math.Max(1, get_num_threads()));

    /// <summary>Each row's log-sum-exp and output statistics: O(n).</summary>
    public override long SelfAttendBytes(long batch, long heads, long n) => 2L * 4 * batch * heads * n;

    /// <summary>The autograd function with its default options (its own pool of one worker per core).</summary>
    public override Tensor Benchmarked(Tensor q, Tensor k, Tensor v, bool causal) =>
        FlashAttentionFunction.Attend(q, k, v, new FlashOptions(Causal: causal, Algorithm: Algorithm));

    private Tensor Run(Tensor q, Tensor k, Tensor v, bool causal, double dropout, double? scale, int threads)
    {
        if (Algorithm == FlashAlgorithm.Fa2) return ScaledDotProduct.Flash(q, k, v, causal, dropout, scale, threads);
        if (dropout > 0) throw new NotSupportedException($"The Flash kernel has no attention dropout (asked for p = {dropout}); train with Dropout 0 or another kernel.");
        return FlashAttentionFunction.Attend(q, k, v, new FlashOptions(Causal: causal, Scale: scale, Threads: threads, Algorithm: Algorithm));
    }
}
