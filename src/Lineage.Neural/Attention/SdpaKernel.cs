// libtorch's fused scaled_dot_product_attention: on the CPU itself tiled, so it keeps no n × n matrix.
using static TorchSharp.torch;

namespace Lineage.Neural.Attention;

/// <summary>libtorch's fused <c>scaled_dot_product_attention</c>.</summary>
[Kernel("sdpa", Order = 1)]
public sealed class SdpaKernel : AttentionKernel
{
    /// <inheritdoc />
    public override Tensor Compute(Tensor q, Tensor k, Tensor v, Tensor? mask, double dropout, double? scale) => ScaledDotProduct.Fused(q, k, v, mask, dropout, scale);

    /// <summary>The fused kernel with its own causal flag (no mask tensor).</summary>
    public override Tensor SelfAttend(Tensor q, Tensor k, Tensor v, bool causal) => nn.functional.scaled_dot_product_attention(q, k, v, is_casual: causal);

    /// <summary>O(n): nothing beyond the inputs and output.</summary>
    public override long SelfAttendBytes(long batch, long heads, long n) => 0;
}
