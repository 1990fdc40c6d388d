// The shared blocks in ONNX, written beside their modules: MultiHeadAttention (Transformers/MultiHeadAttention.cs),
// FeedForward and the pre-norm TransformerBlock (Transformers/Blocks.cs), and the additive masks of
// ScaledDotProduct.Mask (Attention/ScaledDotProduct.cs). BERT, ViT and CLIP's two towers are built from these.
// Shapes:  B batch, T tokens, C width, H heads, D = C/H.
using Lineage.Neural.Transformers;
using Onnx;

namespace Lineage.Neural.Onnx;

/// <summary>ONNX versions of the attention, feed-forward and block modules that several models share.</summary>
public static class OnnxBlocks
{
    /// <summary>
    /// <see cref="MultiHeadAttention"/> <paramref name="prefix"/> on x (B, T, C): q, k, v projections split into H heads,
    /// softmax(q·kᵀ/√D + mask)·v, heads side by side, output projection o.
    /// </summary>
    /// <param name="g">The graph.</param>
    /// <param name="x">(B, T, C).</param>
    /// <param name="prefix">The module's parameter prefix ("layer.0.attn").</param>
    /// <param name="heads">H.</param>
    /// <param name="dim">C.</param>
    /// <param name="mask">An additive mask broadcastable to (B, H, T, T) (0 or −∞), or null.</param>
    public static string SelfAttention(OnnxGraph g, string x, string prefix, int heads, int dim, string? mask)
    {
        ArgumentNullException.ThrowIfNull(g);
        int d = dim / heads;
        string Heads(string t) => g.Transpose(g.Reshape(t, 0, 0, heads, d), 0, 2, 1, 3);      // (B, H, T, D)
        var q = Heads(g.Linear(x, prefix + ".q"));
        var k = Heads(g.Linear(x, prefix + ".k"));
        var v = Heads(g.Linear(x, prefix + ".v"));
        return g.Linear(AttendHeads(g, q, k, v, d, mask, dim), prefix + ".o");
    }

    /// <summary>softmax(q·kᵀ/√D + mask)·v on heads (B, H, T, D), then the heads side by side: (B, T, C).</summary>
    public static string AttendHeads(OnnxGraph g, string q, string k, string v, int headDim, string? mask, int dim)
    {
        ArgumentNullException.ThrowIfNull(g);
        var scores = g.Mul(g.MatMul(q, g.Transpose(k, 0, 1, 3, 2)), g.Scalar((float)(1.0 / Math.Sqrt(headDim))));   // (B, H, T, T)
        if (mask is not null) scores = g.Add(scores, mask);
        var y = g.MatMul(g.Softmax(scores, -1), v);                                                                   // (B, H, T, D)
        return g.Reshape(g.Transpose(y, 0, 2, 1, 3), 0, 0, dim);                                                      // (B, T, C)
    }

    /// <summary><see cref="FeedForward"/> <paramref name="prefix"/>: fc_in, the activation, fc_out.</summary>
    public static string FeedForward(OnnxGraph g, string x, string prefix, Activation activation)
    {
        ArgumentNullException.ThrowIfNull(g);
        var h = g.Linear(x, prefix + ".fc_in");
        h = activation switch
        {
            Activation.Gelu => g.Gelu(h),
            Activation.GeluTanh => g.GeluTanh(h),
            _ => g.Node("Relu", [h]),
        };
        return g.Linear(h, prefix + ".fc_out");
    }

    /// <summary>
    /// The pre-norm <see cref="TransformerBlock"/> <paramref name="prefix"/> (ViT, the CLIP towers):
    /// x += attn(ln_1(x)); x += mlp(ln_2(x)); both LayerNorms with TorchSharp's default ε = 1e-5.
    /// </summary>
    public static string TransformerBlock(OnnxGraph g, string x, string prefix, BlockConfig config, string? mask)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(config);
        x = g.Add(x, SelfAttention(g, g.LayerNorm(x, prefix + ".ln_1", TorchLayerNormEps), prefix + ".attn", config.Heads, config.Dim, mask));
        return g.Add(x, FeedForward(g, g.LayerNorm(x, prefix + ".ln_2", TorchLayerNormEps), prefix + ".mlp", config.Activation));
    }

    /// <summary>ε of <c>nn.LayerNorm(dim)</c> when none is given (as in PyTorch).</summary>
    public const double TorchLayerNormEps = 1e-5;

    /// <summary>
    /// The causal mask of <see cref="Attention.ScaledDotProduct.Mask"/> for the sequence length of ids (B, T): (T, T), 0 on and
    /// below the diagonal, −∞ above it (token t sees tokens ≤ t).
    /// </summary>
    public static string CausalMask(OnnxGraph g, string ids)
    {
        ArgumentNullException.ThrowIfNull(g);
        var t = g.Shape(ids, 1, 2);                                                  // [T]
        var full = g.ConstantOfShape(g.Concat(0, t, t), float.NegativeInfinity);      // (T, T) all −∞
        return g.Trilu(full, upper: true, k: 1);                                     // −∞ strictly above the diagonal, 0 elsewhere
    }

    /// <summary>
    /// The padding mask of <see cref="Attention.ScaledDotProduct.Mask"/> from a boolean (B, T) that is true for real tokens:
    /// (B, 1, 1, T), 0 for real keys and −∞ for padding.
    /// </summary>
    public static string PaddingMask(OnnxGraph g, string real)
    {
        ArgumentNullException.ThrowIfNull(g);
        var additive = g.Where(real, g.Scalar(0f), g.Scalar(float.NegativeInfinity));   // (B, T)
        return g.Unsqueeze(additive, 1, 2);                                              // (B, 1, 1, T)
    }

    /// <summary>The first <c>T</c> rows of a learned position table <paramref name="table"/> (P, C), T the sequence length of ids (B, T).</summary>
    public static string Positions(OnnxGraph g, string table, string ids)
    {
        ArgumentNullException.ThrowIfNull(g);
        return g.Slice(table, g.Ints(0), g.Shape(ids, 1, 2), g.Ints(0));                // (T, C) = positions 0 … T−1
    }

    /// <summary>The float32 element type.</summary>
    public const TensorProto.Types.DataType F32 = TensorProto.Types.DataType.Float;

    /// <summary>The int64 element type.</summary>
    public const TensorProto.Types.DataType I64 = TensorProto.Types.DataType.Int64;
}
