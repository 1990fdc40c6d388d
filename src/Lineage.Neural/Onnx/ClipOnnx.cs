// CLIP and SigLIP dual encoders (Multimodal/Clip.cs, TextEncoder.cs) in ONNX, both towers in one file as Hugging Face's
// CLIPModel ONNX export has them: input_ids int64 (text_batch, sequence) and pixel_values float32 (image_batch, C, H, W)
// → text_embeds (text_batch, E), image_embeds (image_batch, E), logits_per_image (image_batch, text_batch) and
// logits_per_text (its transpose).
// How:     text: token + position embeddings; L causal pre-norm blocks that also mask [PAD] keys (ids == 0); final
//          LayerNorm; the vector at the first [EOS] (id 2); text_projection; L2 normalisation. image: ViT's [CLS] vector
//          (VitOnnx.Pooled); visual_projection; L2 normalisation. logits = min(exp(logit_scale), 100)·u·vᵀ (+ logit_bias).
// Deviations: none from DualEncoder.EncodeTexts / EncodeImages / forward. Both inputs are required in every run; a
//          deployer who needs one tower feeds a batch of one for the other.
using Lineage.Neural.Multimodal;
using Lineage.Neural.Transformers;
using Onnx;
using static Lineage.Neural.Onnx.OnnxBlocks;
using static TorchSharp.torch;

namespace Lineage.Neural.Onnx;

/// <summary>Exports a <see cref="DualEncoder"/> (CLIP or SigLIP) to ONNX.</summary>
public static class ClipOnnx
{
    /// <summary>The graph of both towers and the image-text logits.</summary>
    public static ModelProto Export(DualEncoder model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        var c = model.Config;
        bool sig = c.Objective == ContrastiveObjective.SigLip;
        var g = new OnnxGraph(sig ? "siglip" : "clip", OnnxGraph.ParametersOf(model));
        var ids = g.Input("input_ids", I64, "text_batch", "sequence");
        var pixels = g.Input("pixel_values", F32, "image_batch", c.Vision.Channels, c.Vision.ImageSize, c.Vision.ImageSize);

        var text = g.L2Normalize(g.Linear(TextFeature(g, ids, c.Text), "text_projection"));                        // (Bt, E)
        var image = g.L2Normalize(g.Linear(VitOnnx.Pooled(g, pixels, "vision_model.", c.Vision), "visual_projection"));   // (Bi, E)
        var scale = g.Min(g.Exp(g.Param("logit_scale")), g.Scalar(100f));                                          // CLIP's cap
        var logits = g.Mul(scale, g.MatMul(image, g.Transpose(text, 1, 0)));                                       // (Bi, Bt)
        if (sig) logits = g.Add(logits, g.Param("logit_bias"));

        g.Output(text, "text_embeds", F32, "text_batch", c.EmbedDim);
        g.Output(image, "image_embeds", F32, "image_batch", c.EmbedDim);
        g.Output(logits, "logits_per_image", F32, "image_batch", "text_batch");
        g.Output(g.Transpose(logits, 1, 0), "logits_per_text", F32, "text_batch", "image_batch");
        return g.ToModel(new Dictionary<string, string>
        {
            ["model_type"] = sig ? "siglip" : "clip",
            ["max_sequence_length"] = c.Text.Context.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["pad_token_id"] = CaptionTokenizer.Pad.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["eos_token_id"] = CaptionTokenizer.Eos.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    // TextTransformer.forward: the final-LayerNorm feature (B, D) at each text's first [EOS].
    private static string TextFeature(OnnxGraph g, string ids, TextConfig c)
    {
        const string p = "text_model.";
        var x = g.Add(g.Gather(g.Param(p + "token_embedding.weight"), ids), Positions(g, g.Param(p + "position_embedding.wpe.weight"), ids));   // (B, T, D)
        var real = g.Not(g.Equal(ids, g.Index(CaptionTokenizer.Pad)));                                             // (B, T)
        var mask = g.Add(CausalMask(g, ids), PaddingMask(g, real));                                                 // (B, 1, T, T)
        var block = new BlockConfig(c.Dim, c.Heads, 4 * c.Dim, Dropout: 0);
        for (int i = 0; i < c.Layers; i++) x = TransformerBlock(g, x, $"{p}layers.{i}", block, mask);
        x = g.LayerNorm(x, p + "final_layer_norm", TorchLayerNormEps);
        var eos = g.ArgMax(g.Cast(g.Equal(ids, g.Index(CaptionTokenizer.Eos)), TensorProto.Types.DataType.Float), axis: 1);   // (B) first [EOS]
        return g.GatherNd(x, g.Unsqueeze(eos, 1), batchDims: 1);                                                   // (B, D)
    }
}
