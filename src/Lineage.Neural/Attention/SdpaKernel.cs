// libtorch's fused scaled_dot_product_attention: on the CPU itself tiled, so it keeps no n × n matrix.
using static TorchSharp.torch;

namespace Lineage.Neural.Attention;

/// <summary>libtorch's fused <c>scaled_dot_product_attention</c>.</summary>
[Kernel("sdpa", Order = 1)]
public sealed class SdpaKernel : AttentionKernel
{
    /// <inheritdoc />
    public override Tensor Compute(Tensor q, Tensor k, Tensor v, Tensor? mask, double dropout, double? scale) => ScaledDotProduct.Fused(q, k, v, mask, dropout, scale);

    /// <summary>
    /// Causal or unmasked self-attention (as long as the keys, no padding, no bias, the default scale) goes to the fused
    /// kernel with its own causal flag, as PyTorch's <c>is_causal=True</c>: no (T, T) mask is built, and the kernel skips
    /// the masked tiles instead of adding −∞ to them (half the work of a causal step, measured by bench/pytorch).
    /// Everything else gets the additive mask.
    /// </summary>
    public override Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor? keyPadding, bool causal, Tensor? bias, double dropout, double? scale)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        bool defaultScale = scale is not double s || Math.Abs(s - 1.0 / Math.Sqrt(q.shape[^1])) <= 1e-12;
        if (keyPadding is null && bias is null && defaultScale && (!causal || q.shape[2] == k.shape[2]))
            return nn.functional.scaled_dot_product_attention(q, k, v, null, dropout, causal);
        return base.Attend(q, k, v, keyPadding, causal, bias, dropout, scale);
    }

    /// <summary>The fused kernel with its own causal flag (no mask tensor).</summary>
    public override Tensor SelfAttend(Tensor q, Tensor k, Tensor v, bool causal) => nn.functional.scaled_dot_product_attention(q, k, v, is_casual: causal);

    /// <summary>O(n): nothing beyond the inputs and output.</summary>
    public override long SelfAttendBytes(long batch, long heads, long n) => 0;
}
