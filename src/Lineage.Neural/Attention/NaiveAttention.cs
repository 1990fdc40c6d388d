// The reference the kernel is tested against: softmax(scale · Q Kᵀ + causal mask) V written out with libtorch ops, the
// n × n matrix built and kept, key/value heads repeated for GQA. Differentiable by libtorch's autograd.
// Shapes: q (B, H, Tq, D); k, v (B, G, Tk, D), H divisible by G; the result is (B, H, Tq, D).
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Attention;

/// <summary>Written-out attention with GQA and a causal mask: the O(n²)-memory reference.</summary>
public static class NaiveAttention
{
    /// <summary>softmax(scale · q kᵀ + mask) v, kv head h / (H / G) serving query head h.</summary>
    /// <exception cref="ArgumentException">H not divisible by G, or mismatched shapes.</exception>
    /// <exception cref="InsufficientMemoryException">The n × n matrices would not fit (the estimate is in the message).</exception>
    public static Tensor Forward(Tensor q, Tensor k, Tensor v, bool causal, double? scale = null)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        if (q.dim() != 4 || k.dim() != 4 || v.dim() != 4) throw new ArgumentException("Naive attention needs 4-d q, k, v (B, heads, T, D).", nameof(q));
        long h = q.shape[1], g = k.shape[1];
        if (g == 0 || h % g != 0) throw new ArgumentException($"The {h} query heads must be divisible by the {g} key/value heads.", nameof(k));
        AttentionMemory.Ensure(AttentionMemory.Naive(q.shape[0], h, q.shape[2], k.shape[2], q.shape[3], q.requires_grad || k.requires_grad || v.requires_grad),
            $"Naive attention (B={q.shape[0]}, H={h}, n={q.shape[2]})");
        using var scope = NewDisposeScope();
        if (g != h)
        {
            k = k.repeat_interleave(h / g, dim: 1);                 // (B, H, Tk, D)
            v = v.repeat_interleave(h / g, dim: 1);
        }

        var mask = ScaledDotProduct.Mask(q.shape[2], k.shape[2], null, causal, null, q.dtype, q.device);
        return ScaledDotProduct.Naive(q, k, v, mask, 0, scale).MoveToOuterDisposeScope();
    }
}
