// ViT (Vision/Vit.cs) in ONNX, step by step beside Vit.Embed, Vit.Encode and Vit.forward: pixel_values float32
// (batch, C, H, W), H and W fixed by the model, → logits (batch, classes), or pooler_output (batch, D) without a head.
// How:     patches = Conv(P × P, stride P) → (B, D, H/P, W/P) → (B, N, D) row-major; tokens = [CLS; patches] + positions;
//          L pre-norm TransformerBlocks; final LayerNorm (ε 1e-6); the [CLS] vector; the linear head.
// Deviations: none from Vit.forward; only the batch axis is dynamic (the position table fixes N).
using Lineage.Neural.Transformers;
using Lineage.Neural.Vision;
using Onnx;
using static Lineage.Neural.Onnx.OnnxBlocks;
using static TorchSharp.torch;

namespace Lineage.Neural.Onnx;

/// <summary>Exports a <see cref="Vit"/> to ONNX.</summary>
public static class VitOnnx
{
    /// <summary>ε of ViT's final LayerNorm (<c>norm</c>).</summary>
    public const double FinalLayerNormEps = 1e-6;

    /// <summary>The graph of <paramref name="model"/>.forward: <c>pixel_values</c> → <c>logits</c> (or <c>pooler_output</c> for a model without a head).</summary>
    public static ModelProto Export(Vit model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        var c = model.Config;
        var g = new OnnxGraph("vit", OnnxGraph.ParametersOf(model));
        var pixels = g.Input("pixel_values", F32, "batch", c.Channels, c.ImageSize, c.ImageSize);
        var pooled = Pooled(g, pixels, "", c);
        if (c.Classes > 0) g.Output(g.Linear(pooled, "head"), "logits", F32, "batch", c.Classes);
        else g.Output(pooled, "pooler_output", F32, "batch", c.Dim);
        return g.ToModel(new Dictionary<string, string>
        {
            ["model_type"] = "vit",
            ["image_size"] = c.ImageSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    /// <summary>Vit.Pooled: the final-LayerNorm [CLS] vector (B, D) of images (B, C, H, W); parameters under <paramref name="prefix"/> ("" or "vision_model.").</summary>
    public static string Pooled(OnnxGraph g, string pixels, string prefix, VitConfig c)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(c);
        // Embed: patches, [CLS] in front, positions added.
        var patches = g.Conv(pixels, g.Param(prefix + "patch_embed.weight"), g.Param(prefix + "patch_embed.bias"), c.Patch, c.Patch);   // (B, D, H/P, W/P)
        patches = g.Transpose(g.Reshape(patches, 0, c.Dim, -1), 0, 2, 1);                                     // (B, N, D)
        var cls = g.Expand(g.Param(prefix + "cls_token"), g.Concat(0, g.Shape(pixels, 0, 1), g.Ints(1, c.Dim)));   // (B, 1, D)
        var x = g.Add(g.Concat(1, cls, patches), g.Param(prefix + "pos_embed.wpe.weight"));                    // (B, T, D) + (T, D)
        // Encode: the blocks, the final LayerNorm; Pooled: token 0.
        var block = new BlockConfig(c.Dim, c.Heads, c.MlpRatio * c.Dim, c.Dropout);
        for (int i = 0; i < c.Layers; i++) x = TransformerBlock(g, x, $"{prefix}blocks.{i}", block, null);
        x = g.LayerNorm(x, prefix + "norm", FinalLayerNormEps);
        return g.Gather(x, g.Index(0), axis: 1);                                                                // (B, D)
    }
}
