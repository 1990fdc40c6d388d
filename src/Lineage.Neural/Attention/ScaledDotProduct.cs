// Scaled dot-product attention as the models call it: the additive mask, and the computations the registered
// AttentionKernels dispatch to (written out, libtorch's fused kernel, Lineage's FlashAttention). The models of Transformers/,
// Vision/, Multimodal/ and LongContext/ build on this folder; nothing here depends on them.
using TorchSharp;
using static TorchSharp.torch;

namespace Lineage.Neural.Attention;

/// <summary>
/// Scaled dot-product attention (Vaswani et al. 2017, eq. 1): softmax(Q Kᵀ / √d + M) V, with M the sum of an additive
/// bias (T5's relative positions), −∞ where a key is padding, and −∞ above the diagonal when causal.
/// Shapes: q (B, H, Tq, D), k and v (B, H, Tk, D); the result is (B, H, Tq, D).
/// </summary>
public static class ScaledDotProduct
{
    /// <summary>The additive mask (B or 1, 1 or H, Tq, Tk): 0 where a query may look, −∞ where it may not; null when nothing is masked.</summary>
    /// <param name="tq">Number of queries.</param>
    /// <param name="tk">Number of keys.</param>
    /// <param name="keyPadding">(B, Tk) bool, true for real tokens and false for padding; or null.</param>
    /// <param name="causal">Query i (the last Tq of Tk positions) sees keys ≤ its own position.</param>
    /// <param name="bias">Additive bias broadcastable to (B, H, Tq, Tk), or null.</param>
    /// <param name="dtype">Element type of the scores.</param>
    /// <param name="device">Where the scores live.</param>
    public static Tensor? Mask(long tq, long tk, Tensor? keyPadding, bool causal, Tensor? bias, ScalarType dtype, Device device)
    {
        if (keyPadding is null && !causal && bias is null) return null;
        using var scope = NewDisposeScope();
        var mask = zeros([1, 1, tq, tk], dtype, device);
        if (causal)
        {
            // With a KV cache the Tq queries are the last Tq of the Tk positions.
            var allowed = ones([tq, tk], ScalarType.Bool, device).tril(tk - tq);
            mask = mask.masked_fill(allowed.logical_not().reshape(1, 1, tq, tk), float.NegativeInfinity);
        }

        if (keyPadding is not null)
        {
            if (keyPadding.dtype != ScalarType.Bool || keyPadding.dim() != 2 || keyPadding.shape[1] != tk)
            {
                throw new ArgumentException($"The padding mask must be bool (B, {tk}); got {keyPadding.dtype} ({string.Join(", ", keyPadding.shape)}).", nameof(keyPadding));
            }

            mask = mask.masked_fill(keyPadding.logical_not().reshape(keyPadding.shape[0], 1, 1, tk), float.NegativeInfinity);
        }

        if (bias is not null) mask = mask + bias;
        return mask.MoveToOuterDisposeScope();
    }

    /// <summary>Attention by <paramref name="kernel"/>; see <see cref="Mask"/> for the mask.</summary>
    public static Tensor Compute(AttentionKernel kernel, Tensor q, Tensor k, Tensor v, Tensor? mask, double dropout = 0, double? scale = null)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        if (q.dim() != 4 || k.dim() != 4 || v.dim() != 4 || q.shape[3] != k.shape[3] || k.shape[2] != v.shape[2])
        {
            throw new ArgumentException($"Attention needs q (B, H, Tq, D), k (B, H, Tk, D), v (B, H, Tk, Dv); got ({string.Join(", ", q.shape)}), ({string.Join(", ", k.shape)}), ({string.Join(", ", v.shape)}).");
        }

        ArgumentNullException.ThrowIfNull(kernel);
        return kernel.Compute(q, k, v, mask, dropout, scale);
    }

    /// <summary>
    /// Attention by <paramref name="kernel"/> from the mask's parts: the Flash kernel takes causal or unmasked attention
    /// and needs no mask tensor; the others get <see cref="Mask"/> of the padding, the causal flag and the bias.
    /// </summary>
    /// <exception cref="NotSupportedException">The Flash kernel with padding or a bias.</exception>
    public static Tensor Attend(AttentionKernel kernel, Tensor q, Tensor k, Tensor v, Tensor? keyPadding, bool causal, Tensor? bias, double dropout = 0, double? scale = null)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        return kernel.Attend(q, k, v, keyPadding, causal, bias, dropout, scale);
    }

    /// <summary>The FlashAttention kernel, differentiable; unmasked or causal, no dropout.</summary>
    /// <param name="q">(B, H, Tq, D).</param>
    /// <param name="k">(B, G, Tk, D).</param>
    /// <param name="v">(B, G, Tk, D).</param>
    /// <param name="causal">Query i sees keys ≤ i.</param>
    /// <param name="dropout">Must be 0.</param>
    /// <param name="scale">Score scale (default 1/√D).</param>
    /// <param name="threads">The kernel's workers (0: one per core, its own pool).</param>
    /// <exception cref="NotSupportedException">Attention dropout was asked for.</exception>
    public static Tensor Flash(Tensor q, Tensor k, Tensor v, bool causal, double dropout = 0, double? scale = null, int threads = 0)
    {
        if (dropout > 0) throw new NotSupportedException($"The Flash kernel has no attention dropout (asked for p = {dropout}); train with Dropout 0 or another kernel.");
        return FlashAttentionFunction.Attend(q, k, v, new FlashOptions(Causal: causal, Scale: scale, Threads: threads));
    }

    /// <summary>The written-out reference: scores = q·kᵀ·scale + mask; softmax over keys; (dropout); weights·v.</summary>
    public static Tensor Naive(Tensor q, Tensor k, Tensor v, Tensor? mask, double dropout = 0, double? scale = null)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        using var scope = NewDisposeScope();
        var scores = q.matmul(k.transpose(-2, -1)) * (scale ?? 1.0 / Math.Sqrt(q.shape[^1]));   // (B, H, Tq, Tk)
        if (mask is not null) scores = scores + mask;
        var weights = scores.softmax(-1);
        if (dropout > 0) weights = nn.functional.dropout(weights, dropout);
        return weights.matmul(v).MoveToOuterDisposeScope();
    }

    /// <summary>libtorch's fused kernel with the same mask (an additive float mask).</summary>
    public static Tensor Fused(Tensor q, Tensor k, Tensor v, Tensor? mask, double dropout = 0, double? scale = null)
    {
        ArgumentNullException.ThrowIfNull(q);
        if (scale is double s && Math.Abs(s - 1.0 / Math.Sqrt(q.shape[^1])) > 1e-12)
        {
            // The 0.107 binding has no scale argument: fold it into q.
            using var scaled = q * (s * Math.Sqrt(q.shape[^1]));
            return nn.functional.scaled_dot_product_attention(scaled, k, v, mask, p: dropout);
        }

        return nn.functional.scaled_dot_product_attention(q, k, v, mask, p: dropout);
    }
}
