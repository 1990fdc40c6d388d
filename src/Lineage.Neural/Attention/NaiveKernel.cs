// The written-out kernel: softmax(Q Kᵀ · scale + mask) V with the n × n scores built and kept (ScaledDotProduct.Naive).
using static TorchSharp.torch;

namespace Lineage.Neural.Attention;

/// <summary>The written-out reference: the n × n scores are built and kept.</summary>
[Kernel("naive", Order = 0)]
public sealed class NaiveKernel : AttentionKernel
{
    /// <inheritdoc />
    public override Tensor Compute(Tensor q, Tensor k, Tensor v, Tensor? mask, double dropout, double? scale) => ScaledDotProduct.Naive(q, k, v, mask, dropout, scale);

    /// <inheritdoc />
    public override Tensor SelfAttend(Tensor q, Tensor k, Tensor v, bool causal)
    {
        ArgumentNullException.ThrowIfNull(q);
        return ScaledDotProduct.Naive(q, k, v, ScaledDotProduct.Mask(q.shape[2], q.shape[2], null, causal, null, q.dtype, q.device));
    }

    /// <summary>
    /// Mask, scores, masked scores, weights and their gradients: at the peak of forward + backward about 8 float
    /// (B, H, n, n) tensors (measured: 4.0 GiB growth at n = 8,192 with 2 heads, 8 × 512 MiB).
    /// </summary>
    public override long SelfAttendBytes(long batch, long heads, long n) => 8L * 4 * batch * heads * n * n;

    /// <summary>The reference with its memory refusal and GQA (<see cref="NaiveAttention.Forward"/>).</summary>
    public override Tensor Benchmarked(Tensor q, Tensor k, Tensor v, bool causal) => NaiveAttention.Forward(q, k, v, causal);
}
