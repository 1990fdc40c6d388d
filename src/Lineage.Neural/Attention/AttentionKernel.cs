namespace Lineage.Neural.Attention;

/// <summary>How attention is computed; both give the same numbers (tested to 1e-5).</summary>
public enum AttentionKernel
{
    /// <summary>softmax(QKᵀ/√d + mask)·V written out: the n×n score matrix is built and kept. The reference.</summary>
    Naive,
    /// <summary>libtorch's fused <c>scaled_dot_product_attention</c>.</summary>
    Sdpa,
    /// <summary>Lineage's FlashAttention kernel (Attention/FlashAttention.cs): tiles and an online softmax, O(n) memory.
    /// Causal or unmasked only; no attention dropout.</summary>
    Flash,
}
