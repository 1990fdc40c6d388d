// Lineage's FlashAttention kernel (FlashAttention.cs) as the models call it: causal or unmasked, no mask tensor, no dropout.
using static TorchSharp.torch;

namespace Lineage.Neural.Attention;

/// <summary>Lineage's FlashAttention kernel: tiles and an online softmax, O(n) memory; causal or unmasked only, no attention dropout.</summary>
[Kernel("flash", Order = 2)]
public sealed class FlashKernel : AttentionKernel
{
    /// <exception cref="NotSupportedException">A mask tensor (the kernel knows causal or unmasked attention only), or dropout.</exception>
    public override Tensor Compute(Tensor q, Tensor k, Tensor v, Tensor? mask, double dropout, double? scale) =>
        ScaledDotProduct.Flash(q, k, v, mask is null ? false : throw new NotSupportedException(
            "The Flash kernel takes no mask tensor: it knows causal or unmasked attention only (use MultiHeadAttention's causal flag)."), dropout, scale);

    /// <summary>The causal flag goes to the kernel itself; no mask tensor is built.</summary>
    /// <exception cref="NotSupportedException">Padding or a position bias, or dropout.</exception>
    public override Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor? keyPadding, bool causal, Tensor? bias, double dropout, double? scale)
    {
        if (keyPadding is not null || bias is not null) throw new NotSupportedException("The Flash kernel supports causal or unmasked attention only, not padding masks or position biases.");
        return ScaledDotProduct.Flash(q, k, v, causal, dropout, scale);
    }

    /// <summary>The kernel's own workers, as many as libtorch may use (one in the tour's capped chapters, [ThreadCap(1, …)]).</summary>
    public override Tensor SelfAttend(Tensor q, Tensor k, Tensor v, bool causal) => ScaledDotProduct.Flash(q, k, v, causal, threads: Math.Max(1, get_num_threads()));

    /// <summary>Each row's log-sum-exp and output statistics: O(n).</summary>
    public override long SelfAttendBytes(long batch, long heads, long n) => 2L * 4 * batch * heads * n;
}
